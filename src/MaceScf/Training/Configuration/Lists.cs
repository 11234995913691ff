using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// A list of numbers: `[1.5, 3.0]` (YAML or command line) or a YAML sequence.
public sealed class DoubleListKind(bool positive) : ValueKind<IReadOnlyList<double>>
{
    public override string TypeName => "list of float";

    public override bool StructuredOnCommandLine => true;

    public override IReadOnlyList<double> Read(YamlNode node, ValueContext context)
    {
        var (list, inner) = Nodes.Structured(node, context);
        var seq = Nodes.Sequence(list, inner, "a list of numbers such as [1.5, 3.0]");
        if (seq.Children.Count == 0) throw inner.Error(seq, "must not be empty");
        return seq.Children.Select((item, i) =>
        {
            double v = new DoubleKind().Read(item, inner.Child(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
            if (positive && !(v > 0)) throw inner.Error(item, $"entries must be positive, got {Scalars.Format(v)}");
            return v;
        }).ToArray();
    }

    public override YamlNode Write(IReadOnlyList<double> value) => Flow(value.Select(Scalars.Number));

    public static YamlSequenceNode Flow(IEnumerable<YamlNode> items) => new(items) { Style = SequenceStyle.Flow };
}

/// A list of positive integers such as the radial MLP widths `[64, 64, 64]`.
public sealed class IntListKind : ValueKind<IReadOnlyList<int>>
{
    public override string TypeName => "list of int";

    public override bool StructuredOnCommandLine => true;

    public override IReadOnlyList<int> Read(YamlNode node, ValueContext context)
    {
        var (list, inner) = Nodes.Structured(node, context);
        var seq = Nodes.Sequence(list, inner, "a list of integers such as [64, 64, 64]");
        if (seq.Children.Count == 0) throw inner.Error(seq, "must not be empty");
        return seq.Children.Select((item, i) => new IntKind(1).Read(item, inner.Child(i.ToString(System.Globalization.CultureInfo.InvariantCulture)))).ToArray();
    }

    public override YamlNode Write(IReadOnlyList<int> value) => DoubleListKind.Flow(value.Select(v => (YamlNode)Scalars.Number(v)));
}

/// A mapping of names to non-negative weights, e.g. `config_type_weights: {Default: 1.0}`.
public sealed class WeightMapKind : ValueKind<IReadOnlyDictionary<string, double>>
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
