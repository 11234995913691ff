using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// One of a fixed set of names (case-sensitive, as in the Python command line).
internal sealed class ChoiceKind(params string[] choices) : ValueKind<string>
{
    public IReadOnlyList<string> Choices { get; } = choices;

    public override string TypeName => string.Join(" | ", Choices);

    public override string Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "one of " + string.Join(", ", Choices));
        if (Choices.Contains(text)) return text;
        string? near = MaceScf.Text.ClosestMatch.Find(text, Choices);
        throw context.Error(node, $"'{text}' is not one of {string.Join(", ", Choices)}" + (near is null ? "" : $" (did you mean '{near}'?)"));
    }

    public override YamlNode Write(string value) => Scalars.Plain(value);
}
