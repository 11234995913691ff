using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// An integer, optionally with a lower bound.
internal sealed class IntKind(int? minimum = null) : ValueKind<int>
{
    public override string TypeName => "int";

    public override int Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "an integer");
        if (!Scalars.TryParseInt(text, out int value)) throw context.Error(node, $"expected an integer, got '{text}'");
        if (value < minimum) throw context.Error(node, $"must be at least {minimum}, got {value}");
        return value;
    }

    public override YamlNode Write(int value) => Scalars.Number(value);
}
