using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// A list of positive integers such as the radial MLP widths `[64, 64, 64]`.
internal sealed class IntListKind : ValueKind<IReadOnlyList<int>>
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
