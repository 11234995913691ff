using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// A file or folder. Relative paths resolve against the config file's folder (values from the
/// file) or the current directory (command line and defaults); the stored value is absolute.
internal sealed class PathKind(string? requiredExtension = null) : ValueKind<string?>
{
    public override string TypeName => requiredExtension is null ? "path" : $"path (*{requiredExtension})";

    public override string? Read(YamlNode node, ValueContext context)
    {
        if (Nodes.IsNone(node)) return null;
        string text = Nodes.Scalar(node, context, "a path");
        if (text.Trim().Length == 0) throw context.Error(node, "expected a path, got an empty text");
        if (requiredExtension is not null && !text.EndsWith(requiredExtension, StringComparison.OrdinalIgnoreCase))
            throw context.Error(node, $"must be a {requiredExtension} file, got '{text}'");
        return Path.GetFullPath(text, context.BaseDirectory);
    }

    public override YamlNode Write(string? value) => value is null ? Scalars.Null() : Scalars.Quoted(value);
}
