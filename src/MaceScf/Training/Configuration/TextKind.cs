using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Free text; None leaves it unset.
internal sealed class TextKind : ValueKind<string?>
{
    public override string TypeName => "str";

    public override string? Read(YamlNode node, ValueContext context) =>
        Nodes.IsNone(node) ? null : Nodes.Scalar(node, context, "text");

    public override YamlNode Write(string? value) => value is null ? Scalars.Null() : Scalars.Quoted(value);
}
