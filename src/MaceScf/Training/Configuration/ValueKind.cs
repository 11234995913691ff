using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// How one option's value is read from YAML (config file or command line), checked, and
/// written back as YAML.
internal abstract class ValueKind<T>
{
    /// The type as shown in `--help` and docs/configuration.md.
    public abstract string TypeName { get; }

    /// True when a command-line value is YAML/JSON/Python-literal text (dicts, lists); false when
    /// it is taken verbatim as one scalar (numbers, names, paths).
    public virtual bool StructuredOnCommandLine => false;

    public abstract T Read(YamlNode node, ValueContext context);

    public abstract YamlNode Write(T value);
}
