using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Reads a <see cref="BlockConfig"/> from a YAML mapping or a dict string such as
/// `"{'type': 'OneBodyVariableUpdate', 'potential_embedding_cls': 'BiasedLinearPotentialEmbedding'}"`.
/// `type` must be one of <paramref name="types"/>; each key in <paramref name="classes"/> must name
/// one of its listed classes, and any other key ending in `_cls` is unknown.
internal sealed class BlockConfigKind(IReadOnlyList<string> types, IReadOnlyDictionary<string, IReadOnlyList<string>> classes)
    : ValueKind<BlockConfig>
{
    public override string TypeName => "dict {type: ..., ...}";

    public override bool StructuredOnCommandLine => true;

    public IReadOnlyList<string> Types => types;

    public IReadOnlyDictionary<string, IReadOnlyList<string>> Classes => classes;

    public override BlockConfig Read(YamlNode node, ValueContext context)
    {
        var (value, inner) = Nodes.Structured(node, context);
        var mapping = Nodes.Mapping(value, inner, "a dict such as {type: " + types[0] + "}");
        string? type = null;
        var arguments = new List<KeyValuePair<string, object>>();
        foreach (var (key, keyNode, entry) in Nodes.Entries(mapping, inner, null, "key"))
        {
            var at = inner.Child(key);
            if (key == "type") type = Name(entry, at, types, "type");
            else if (classes.TryGetValue(key, out var names)) arguments.Add(new(key, Name(entry, at, names, key)));
            else if (key.EndsWith("_cls", StringComparison.Ordinal)) throw Nodes.UnknownKey(at, keyNode, key, classes.Keys, "class key");
            else arguments.Add(new(key, Argument(entry, at)));
        }
        if (type is null) throw inner.Error(mapping, $"needs a type, one of {string.Join(", ", types)}");
        return new BlockConfig(type, arguments);
    }

    static string Name(YamlNode node, ValueContext context, IReadOnlyList<string> valid, string what)
    {
        string name = Nodes.Scalar(node, context, "a class name");
        if (valid.Contains(name)) return name;
        string? near = MaceScf.Text.ClosestMatch.Find(name, valid);
        throw context.Error(node, $"unknown {what} '{name}'; valid: {string.Join(", ", valid)}" + (near is null ? "" : $" (did you mean '{near}'?)"));
    }

    static object Argument(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "a number, True/False or a name");
        if (node is YamlScalarNode { Style: not ScalarStyle.Plain }) return text;
        if (long.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out long i)) return i;
        if (Scalars.TryParseDouble(text, out double d)) return d;
        return text switch { "True" or "true" => true, "False" or "false" => false, _ => text };
    }

    public override YamlNode Write(BlockConfig value)
    {
        var map = new YamlMappingNode { Style = MappingStyle.Flow };
        map.Add(Scalars.Plain("type"), Scalars.Plain(value.Type));
        foreach (var (key, argument) in value.Arguments)
            map.Add(Scalars.Plain(key), argument switch
            {
                long i => Scalars.Number(i),
                double d => Scalars.Number(d),
                bool b => Scalars.Plain(b ? "true" : "false"),
                string s when classes.ContainsKey(key) => Scalars.Plain(s),
                _ => Scalars.Quoted((string)argument),
            });
        return map;
    }
}
