using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// A mapping of names to non-negative weights, e.g. `config_type_weights: {Default: 1.0}`.
internal sealed class WeightMapKind : ValueKind<IReadOnlyDictionary<string, double>>
{
    public override string TypeName => "dict name → float";

    public override bool StructuredOnCommandLine => true;

    public override IReadOnlyDictionary<string, double> Read(YamlNode node, ValueContext context)
    {
        var (map, inner) = Nodes.Structured(node, context);
        var mapping = Nodes.Mapping(map, inner, "a mapping of names to weights such as {Default: 1.0}");
        var result = new SortedDictionary<string, double>(StringComparer.Ordinal);
        foreach (var (key, _, value) in Nodes.Entries(mapping, inner, null, "name"))
            result[key] = new DoubleKind(0).Read(value, inner.Child(key));
        return result;
    }

    public override YamlNode Write(IReadOnlyDictionary<string, double> value) =>
        new YamlMappingNode(value.Select(kv => new KeyValuePair<YamlNode, YamlNode>(Scalars.Quoted(kv.Key), Scalars.Number(kv.Value))))
        { Style = MappingStyle.Flow };
}
