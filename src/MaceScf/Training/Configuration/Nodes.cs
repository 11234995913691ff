using MaceScf.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Reading YAML nodes with errors that name the key and position.
internal static class Nodes
{
    static readonly HashSet<string> NoneWords = new(StringComparer.Ordinal) { "None", "none", "null", "Null", "NULL", "~" };

    /// `None`, `null`, `~` or an empty plain scalar, or the quoted text "None" (as Python configs
    /// write it): the option is unset.
    public static bool IsNone(YamlNode node) => node is YamlScalarNode s &&
        (s.Style == ScalarStyle.Plain ? string.IsNullOrEmpty(s.Value) || NoneWords.Contains(s.Value) : s.Value == "None");

    public static string Scalar(YamlNode node, ValueContext context, string expected) => node switch
    {
        YamlScalarNode s => s.Value ?? "",
        YamlMappingNode => throw context.Error(node, $"expected {expected}, got a mapping"),
        YamlSequenceNode => throw context.Error(node, $"expected {expected}, got a list"),
        _ => throw context.Error(node, $"expected {expected}"),
    };

    public static YamlMappingNode Mapping(YamlNode node, ValueContext context, string expected) =>
        node as YamlMappingNode ?? throw context.Error(node, $"expected {expected}, got {Describe(node)}");

    public static YamlSequenceNode Sequence(YamlNode node, ValueContext context, string expected) =>
        node as YamlSequenceNode ?? throw context.Error(node, $"expected {expected}, got {Describe(node)}");

    /// The entries of a mapping by key text, in order; duplicate keys and keys outside
    /// <paramref name="allowed"/> (when given) are errors naming the closest allowed key.
    public static List<(string Key, YamlNode KeyNode, YamlNode Value)> Entries(
        YamlMappingNode mapping, ValueContext context, IReadOnlyCollection<string>? allowed, string what)
    {
        var result = new List<(string, YamlNode, YamlNode)>();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (keyNode, value) in mapping.Children)
        {
            string key = Scalar(keyNode, context, "a key");
            if (!seen.Add(key)) throw context.Child(key).Error(keyNode, "is given twice");
            if (allowed is not null && !allowed.Contains(key)) throw UnknownKey(context.Child(key), keyNode, key, allowed, what);
            result.Add((key, keyNode, value));
        }
        return result;
    }

    public static ConfigurationException UnknownKey(ValueContext context, YamlNode? node, string key, IEnumerable<string> allowed, string what)
    {
        string? near = ClosestMatch.Find(key, allowed);
        return context.Error(node, $"unknown {what} '{key}'" + (near is null ? "" : $" (did you mean '{near}'?)"));
    }

    static string Describe(YamlNode node) => node switch
    {
        YamlScalarNode s => $"'{Shorten(s.Value ?? "")}'",
        YamlMappingNode => "a mapping",
        YamlSequenceNode => "a list",
        _ => "something else",
    };

    /// The first line of a scalar, at most 60 characters: an error never echoes a whole file that is not YAML.
    static string Shorten(string text)
    {
        int newline = text.IndexOfAny(['\n', '\r']);
        string first = newline >= 0 ? text[..newline] : text;
        return first.Length > 60 || newline >= 0 ? first[..Math.Min(first.Length, 60)] + "…" : first;
    }

    /// A dict or list may also be written as a quoted string (`E0s: "{1: -12.6, 8: -2041.0}"`,
    /// as configargparse passes it to Python): such a string is parsed, and errors inside it point
    /// at the string.
    public static (YamlNode Node, ValueContext Context) Structured(YamlNode node, ValueContext context)
    {
        if (node is not YamlScalarNode { Style: not ScalarStyle.Plain } s) return (node, context);
        string text = (s.Value ?? "").Trim();
        if (!(text.StartsWith('[') || text.StartsWith('{'))) return (node, context);
        var inner = context with { Anchor = context.Anchor ?? node.Start };
        return (Parse(text, inner) ?? node, inner);
    }

    /// Parses YAML text (a config file, or a structured command-line value such as
    /// `{'type': 'OneBodyVariableUpdate'}` or `[1.5, 3.0]`) into its root node; parse errors
    /// carry the position.
    public static YamlNode? Parse(string text, ValueContext context)
    {
        var stream = new YamlStream();
        try
        {
            stream.Load(new StringReader(text));
        }
        catch (YamlException e)
        {
            string problem = (e.InnerException?.Message ?? e.Message).Trim();
            throw context.Error(e.Start, $"invalid YAML: {problem}");
        }
        return stream.Documents.Count == 0 ? null : stream.Documents[0].RootNode;
    }
}
