using System.Collections;
using MaceScf.Data;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// The `heads` key mapping: `{HEAD: {info_keys: {...}, arrays_keys: {...}}}`, checked by
/// <see cref="KeyMapping.FromHeads"/>.
internal sealed class HeadsKind : ValueKind<KeyMapping>
{
    public override string TypeName => "dict {HEAD: {info_keys: {...}, arrays_keys: {...}}}";

    public override bool StructuredOnCommandLine => true;

    public override KeyMapping Read(YamlNode node, ValueContext context)
    {
        var (value, inner) = Nodes.Structured(node, context);
        var mapping = Nodes.Mapping(value, inner, "a mapping {HEAD: {info_keys: ..., arrays_keys: ...}}");
        try
        {
            return KeyMapping.FromHeads(ToDictionary(mapping, inner));
        }
        catch (ArgumentException e)
        {
            throw inner.Error(mapping, e.Message);
        }
    }

    static Hashtable ToDictionary(YamlMappingNode mapping, ValueContext context)
    {
        var result = new Hashtable();
        foreach (var (key, _, value) in Nodes.Entries(mapping, context, null, "key"))
            result[key] = value switch
            {
                YamlMappingNode m => ToDictionary(m, context.Child(key)),
                _ => Nodes.Scalar(value, context.Child(key), "a key name or a mapping"),
            };
        return result;
    }

    public override YamlNode Write(KeyMapping value)
    {
        static YamlMappingNode Keys(IReadOnlyDictionary<string, string> keys) =>
            new(keys.OrderBy(kv => kv.Key, StringComparer.Ordinal)
                .Select(kv => new KeyValuePair<YamlNode, YamlNode>(Scalars.Plain(kv.Key), Scalars.Quoted(kv.Value))))
            { Style = MappingStyle.Flow };
        var head = new YamlMappingNode
        {
            { Scalars.Plain("info_keys"), Keys(value.InfoKeys) },
            { Scalars.Plain("arrays_keys"), Keys(value.ArraysKeys) },
        };
        return new YamlMappingNode { { Scalars.Quoted(value.HeadName), head } };
    }
}
