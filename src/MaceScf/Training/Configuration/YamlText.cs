using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// YAML text of nodes: whole documents for `--print-config`, one-line flow text for help,
/// docs and provenance lines.
internal static class YamlText
{
    public static string Document(YamlNode root)
    {
        var writer = new StringWriter();
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        string text = writer.ToString().Replace("\r\n", "\n");
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    public static string Inline(YamlNode node) => node switch
    {
        YamlScalarNode s when s.Style == ScalarStyle.DoubleQuoted => $"\"{s.Value}\"",
        YamlScalarNode s => s.Value ?? "",
        YamlSequenceNode seq => "[" + string.Join(", ", seq.Children.Select(Inline)) + "]",
        YamlMappingNode map => "{" + string.Join(", ", map.Children.Select(kv => $"{Inline(kv.Key)}: {Inline(kv.Value)}")) + "}",
        _ => node.ToString(),
    };
}
