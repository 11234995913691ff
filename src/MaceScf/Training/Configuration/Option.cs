using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Groups of options, in the order of `--help` and docs/configuration.md.
internal enum OptionSection
{
    Core,
    Run,
    Data,
    Architecture,
    Electrostatics,
    FieldFeatures,
    UpdateRule,
    Readouts,
    Training,
    FineTuning,
}

/// One training option: name (as on the command line and in config.yaml), section, value kind,
/// default and help text. The registry <see cref="TrainingOptions"/> is the single source of
/// truth for parsing, `--help`, rendering and the docs.
internal abstract class Option(string name, OptionSection section, string help, bool required)
{
    public string Name { get; } = name;

    public OptionSection Section { get; } = section;

    public string Help { get; } = help;

    /// Must be given (in the config file or on the command line).
    public bool Required { get; } = required;

    /// A true/false option: `--name` alone on the command line means true.
    public abstract bool IsBool { get; }

    public abstract string TypeName { get; }

    public abstract bool StructuredOnCommandLine { get; }

    /// The default as it would be written in config.yaml (`null` when unset).
    public string DefaultText => Required ? "required" : YamlText.Inline(Write(DefaultValue(null)));

    /// The default, with a relative default path resolved against <paramref name="currentDirectory"/>
    /// (null leaves it as written).
    public abstract object? DefaultValue(string? currentDirectory);

    public abstract object? Read(YamlNode node, ValueContext context);

    public abstract YamlNode Write(object? value);
}

/// A typed <see cref="Option"/>.
internal sealed class Option<T>(string name, OptionSection section, ValueKind<T> kind, T defaultValue, string help, bool required = false)
    : Option(name, section, help, required)
{
    public ValueKind<T> Kind { get; } = kind;

    public T Default { get; } = defaultValue;

    public override bool IsBool => Kind is BoolKind;

    public override string TypeName => Kind.TypeName;

    public override bool StructuredOnCommandLine => Kind.StructuredOnCommandLine;

    public override object? DefaultValue(string? currentDirectory) =>
        Kind is PathKind && Default is string path && currentDirectory is not null ? Path.GetFullPath(path, currentDirectory) : Default;

    public override object? Read(YamlNode node, ValueContext context) => Kind.Read(node, context);

    public override YamlNode Write(object? value) => Kind.Write((T)value!);
}
