using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// A value that may also be None (unset).
internal sealed class OptionalKind<T>(ValueKind<T> inner) : ValueKind<T?> where T : struct
{
    public override string TypeName => inner.TypeName + " | None";

    public override T? Read(YamlNode node, ValueContext context) => Nodes.IsNone(node) ? null : inner.Read(node, context);

    public override YamlNode Write(T? value) => value is T v ? inner.Write(v) : Scalars.Null();
}
