using MaceScf.Data;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Reads None | average | `{Z: value}` (and, when <paramref name="allowJsonFile"/>, a .json path; when
/// <paramref name="allowFoundation"/>, `foundation`). Keys are atomic numbers 1–118; with <paramref name="positive"/> values must be > 0.
internal sealed class PerElementKind(bool allowJsonFile, bool positive, bool allowFoundation = false) : ValueKind<PerElementSetting>
{
    public override string TypeName => "None | average | dict {Z: float}" + (allowJsonFile ? " | path (*.json)" : "") + (allowFoundation ? " | foundation" : "");

    public override bool StructuredOnCommandLine => true;

    public override PerElementSetting Read(YamlNode node, ValueContext context)
    {
        if (Nodes.IsNone(node)) return PerElementSetting.None;
        var (value, inner) = Nodes.Structured(node, context);
        if (value is YamlScalarNode s)
        {
            string text = s.Value ?? "";
            if (text == "average") return PerElementSetting.Average;
            if (allowFoundation && text == "foundation") return PerElementSetting.Foundation;
            if (allowJsonFile && text.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
                return new PerElementSetting(SettingMode.File, new Dictionary<int, double>(), Path.GetFullPath(text, context.BaseDirectory));
            throw inner.Error(value, $"expected None, average{(allowJsonFile ? ", a .json file" : "")}{(allowFoundation ? ", foundation" : "")} or a dict such as {{1: 0.5, 8: 2.0}}, got '{text}'");
        }
        var mapping = Nodes.Mapping(value, inner, "a dict such as {1: 0.5, 8: 2.0}");
        var values = new SortedDictionary<int, double>();
        foreach (var (key, keyNode, entry) in Nodes.Entries(mapping, inner, null, "element"))
        {
            if (!Scalars.TryParseInt(key, out int z) || z < 1 || z > PeriodicTable.MaxAtomicNumber)
                throw inner.Child(key).Error(keyNode, $"keys must be atomic numbers (1–{PeriodicTable.MaxAtomicNumber}), got '{key}'");
            double v = new DoubleKind(positive ? 0 : null, minimumExclusive: positive).Read(entry, inner.Child(key));
            values[z] = v;
        }
        if (values.Count == 0) throw inner.Error(mapping, "the dict must not be empty (write None instead)");
        return new PerElementSetting(SettingMode.Explicit, values, null);
    }

    public override YamlNode Write(PerElementSetting value) => value.Mode switch
    {
        SettingMode.None => Scalars.Null(),
        SettingMode.Average => Scalars.Plain("average"),
        SettingMode.Foundation => Scalars.Plain("foundation"),
        SettingMode.File => Scalars.Quoted(value.FilePath!),
        _ => new YamlMappingNode(value.Values.Select(kv =>
            new KeyValuePair<YamlNode, YamlNode>(Scalars.Number(kv.Key), Scalars.Number(kv.Value)))) { Style = YamlDotNet.Core.Events.MappingStyle.Flow },
    };
}
