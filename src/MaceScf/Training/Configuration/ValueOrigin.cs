namespace MaceScf.Training;

/// Where an option's value came from: the layer, and the config file position or the
/// command-line option that set it.
internal sealed record ValueOrigin(ValueSource Source, string Where, long? Line, long? Column)
{
    public static ValueOrigin Default { get; } = new(ValueSource.Default, "default", null, null);

    public ConfigurationException Error(string keyPath, string problem) => new(Where, Line, Column, keyPath, problem);

    public override string ToString() => Line is null ? Where : $"{Where}:{Line}:{Column}";
}
