using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Where a value being read comes from: the source (config file or command-line option), the
/// dotted key path, the folder relative paths resolve against, and whether YAML marks are
/// meaningful positions (they are not inside a command-line argument). With an
/// <see cref="Anchor"/>, errors point there: a dict or list written as a quoted string in the
/// file is reported at that string.
internal sealed record ValueContext(string Source, string KeyPath, string BaseDirectory, bool HasPositions)
{
    public Mark? Anchor { get; init; }

    public ValueContext Child(string key) => this with { KeyPath = KeyPath.Length == 0 ? key : $"{KeyPath}.{key}" };

    public ConfigurationException Error(YamlNode? node, string problem) =>
        node is null ? Error(Mark.Empty, problem) : Error(node.Start, problem);

    public ConfigurationException Error(Mark mark, string problem) =>
        (Anchor ?? mark) is var at && HasPositions && at.Line > 0
            ? new ConfigurationException(Source, at.Line, at.Column, KeyPath, problem)
            : new ConfigurationException(Source, null, null, KeyPath, problem);
}
