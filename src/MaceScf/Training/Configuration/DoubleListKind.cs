using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// A list of numbers: `[1.5, 3.0]` (YAML or command line) or a YAML sequence.
internal sealed class DoubleListKind(bool positive) : ValueKind<IReadOnlyList<double>>
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
