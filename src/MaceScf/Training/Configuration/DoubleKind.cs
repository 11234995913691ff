using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// A finite floating-point number, optionally bounded below (inclusive or exclusive) and above.
internal sealed class DoubleKind(double? minimum = null, bool minimumExclusive = false, double? maximum = null) : ValueKind<double>
{
    public override string TypeName => "float";

    public override double Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "a number");
        if (!Scalars.TryParseDouble(text, out double value)) throw context.Error(node, $"expected a number, got '{text}'");
        if (minimum is double lo && (minimumExclusive ? value <= lo : value < lo))
            throw context.Error(node, $"must be {(minimumExclusive ? "greater than" : "at least")} {lo}, got {text}");
        if (maximum is double hi && value > hi) throw context.Error(node, $"must be at most {hi}, got {text}");
        return value;
    }

    public override YamlNode Write(double value) => Scalars.Number(value);
}
