namespace MaceScf.Data;

/// A mapped key of one configuration has the wrong type or shape. The message names the file,
/// frame, line and key.
public sealed class KeyMappingException(Configuration configuration, string key, string problem)
    : Exception($"{Origin(configuration)}: key '{key}': {problem}")
{
    public string? FileName { get; } = configuration.SourceName;

    /// Zero-based frame index (-1 for an in-memory configuration).
    public int Frame { get; } = configuration.FrameIndex;

    public string Key { get; } = key;

    private static string Origin(Configuration c) =>
        c.SourceName is null ? c.DescribeOrigin() : $"{c.DescribeOrigin()} (line {c.SourceLine})";
}
