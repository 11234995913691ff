using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// True/False/true/false (the Python spelling and the YAML one).
internal sealed class BoolKind : ValueKind<bool>
{
    public override string TypeName => "bool";

    public override bool Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "True or False");
        return text switch
        {
            "True" or "true" => true,
            "False" or "false" => false,
            _ => throw context.Error(node, $"expected True or False, got '{text}'"),
        };
    }

    public override YamlNode Write(bool value) => Scalars.Plain(value ? "true" : "false");
}
