using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Reads `--field_feature_norms`: None | average | a list of positive numbers. The list length is
/// checked against the widths and max l once all options are known.
internal sealed class FieldFeatureNormsKind : ValueKind<FieldFeatureNormsSetting>
{
    public override string TypeName => "None | average | list of float";

    public override bool StructuredOnCommandLine => true;

    public override FieldFeatureNormsSetting Read(YamlNode node, ValueContext context)
    {
        if (Nodes.IsNone(node)) return FieldFeatureNormsSetting.None;
        var (value, inner) = Nodes.Structured(node, context);
        if (value is YamlScalarNode s)
        {
            if (s.Value == "average") return FieldFeatureNormsSetting.Average;
            throw inner.Error(value, $"expected None, average or a list such as [25.0, 25.0, 1.0, 1.0], got '{s.Value}'");
        }
        return new FieldFeatureNormsSetting(SettingMode.Explicit, new DoubleListKind(positive: true).Read(value, inner));
    }

    public override YamlNode Write(FieldFeatureNormsSetting value) => value.Mode switch
    {
        SettingMode.None => Scalars.Null(),
        SettingMode.Average => Scalars.Plain("average"),
        _ => new DoubleListKind(positive: true).Write(value.Values),
    };
}
