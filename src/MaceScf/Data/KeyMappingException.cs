namespace MaceScf.Data;

/// <summary>
/// A mapped key of one configuration has the wrong type or shape. The message names the file,
/// frame, line and key.
/// </summary>
public sealed class KeyMappingException(Configuration configuration, string key, string problem)
    : Exception($"{Origin(configuration)}: key '{key}': {problem}")
{
    /// <summary>The file the configuration came from, if any.</summary>
    public string? FileName { get; } = configuration.SourceName;

    /// <summary>Zero-based frame index (-1 for an in-memory configuration).</summary>
    public int Frame { get; } = configuration.FrameIndex;

    /// <summary>The key in the file.</summary>
    public string Key { get; } = key;

    private static string Origin(Configuration c) =>
        c.SourceName is null ? c.DescribeOrigin() : $"{c.DescribeOrigin()} (line {c.SourceLine})";
}
