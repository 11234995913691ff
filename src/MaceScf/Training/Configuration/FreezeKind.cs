using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// `freeze`: None, one name or a list of names from <see cref="FrozenParameters.Names"/> (parameter groups and the
/// shorthands `interactions` and `backbone`).
internal sealed class FreezeKind : ValueKind<IReadOnlyList<string>>
{
    public override string TypeName => "None | list of " + string.Join(" | ", FrozenParameters.Names);

    public override bool StructuredOnCommandLine => true;

    public override IReadOnlyList<string> Read(YamlNode node, ValueContext context)
    {
        if (Nodes.IsNone(node)) return [];
        var (value, inner) = Nodes.Structured(node, context);
        var items = value is YamlSequenceNode seq ? seq.Children.ToList() : [value];
        var names = new List<string>();
        for (int i = 0; i < items.Count; i++)
        {
            var at = value is YamlSequenceNode ? inner.Child(i.ToString(System.Globalization.CultureInfo.InvariantCulture)) : inner;
            string name = Nodes.Scalar(items[i], at, "a parameter group such as embedding or backbone");
            if (!FrozenParameters.Names.Contains(name)) throw Nodes.UnknownKey(at, items[i], name, FrozenParameters.Names, "parameter group");
            if (!names.Contains(name)) names.Add(name);
        }
        return names;
    }

    public override YamlNode Write(IReadOnlyList<string> value) =>
        value.Count == 0 ? Scalars.Null() : DoubleListKind.Flow(value.Select(n => (YamlNode)Scalars.Plain(n)));
}
