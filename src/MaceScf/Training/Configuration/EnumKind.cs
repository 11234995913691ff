using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// An enum written in snake_case (`unroll_scf`, `molecule_in_box`, `schedulefree`).
internal sealed class EnumKind<TEnum> : ValueKind<TEnum> where TEnum : struct, Enum
{
    readonly ChoiceKind _names = new(Enum.GetValues<TEnum>().Select(SnakeCase.Of).ToArray());

    public override string TypeName => _names.TypeName;

    public override TEnum Read(YamlNode node, ValueContext context)
    {
        string name = _names.Read(node, context);
        return Enum.GetValues<TEnum>().First(v => SnakeCase.Of(v) == name);
    }

    public override YamlNode Write(TEnum value) => Scalars.Plain(SnakeCase.Of(value));
}
