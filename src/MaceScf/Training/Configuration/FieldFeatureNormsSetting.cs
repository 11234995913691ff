namespace MaceScf.Training;

/// `--field_feature_norms`: None (all 1), average, or an explicit list ordered l-major then width.
internal sealed record FieldFeatureNormsSetting(SettingMode Mode, IReadOnlyList<double> Values)
{
    public static FieldFeatureNormsSetting None { get; } = new(SettingMode.None, []);

    public static FieldFeatureNormsSetting Average { get; } = new(SettingMode.Average, []);
}
