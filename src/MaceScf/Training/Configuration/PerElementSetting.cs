namespace MaceScf.Training;

/// `--E0s` and `--atom_density_scaling`: None, average, an explicit `{Z: value}` dict, or (E0s
/// only) a .json file path or `foundation`.
internal sealed record PerElementSetting(SettingMode Mode, IReadOnlyDictionary<int, double> Values, string? FilePath)
{
    public static PerElementSetting None { get; } = new(SettingMode.None, new Dictionary<int, double>(), null);

    public static PerElementSetting Average { get; } = new(SettingMode.Average, new Dictionary<int, double>(), null);

    public static PerElementSetting Foundation { get; } = new(SettingMode.Foundation, new Dictionary<int, double>(), null);
}
