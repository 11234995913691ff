namespace MaceScf.Training;

/// An option's resolved value and where it came from.
internal sealed record OptionValue(Option Option, object? Value, ValueOrigin Origin)
{
    /// The value as one line of YAML (e.g. `[1.5, 3.0]`).
    public string Text => YamlText.Inline(Option.Write(Value));
}
