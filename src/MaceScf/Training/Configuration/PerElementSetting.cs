namespace MaceScf.Training;

/// How a per-element or per-feature quantity is obtained.
public enum SettingMode
{
    /// Not set: the neutral value (E0s absent, scales 1, norms 1).
    None,
    /// Estimated from the training set.
    Average,
    /// Given explicitly in the configuration.
    Explicit,
    /// Read from a JSON file (E0s only).
    File,
}

/// `--E0s` and `--atom_density_scaling`: None, average, an explicit `{Z: value}` dict, or (E0s
/// only) a .json file path.
public sealed record PerElementSetting(SettingMode Mode, IReadOnlyDictionary<int, double> Values, string? FilePath)
{
    public static PerElementSetting None { get; } = new(SettingMode.None, new Dictionary<int, double>(), null);

    public static PerElementSetting Average { get; } = new(SettingMode.Average, new Dictionary<int, double>(), null);
}

/// `--field_feature_norms`: None (all 1), average, or an explicit list ordered l-major then width.
public sealed record FieldFeatureNormsSetting(SettingMode Mode, IReadOnlyList<double> Values)
{
    public static FieldFeatureNormsSetting None { get; } = new(SettingMode.None, []);

    public static FieldFeatureNormsSetting Average { get; } = new(SettingMode.Average, []);
}
