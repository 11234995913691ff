using MaceScf.Text;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// <summary>
/// Builds a <see cref="TrainingConfig"/>: registry defaults, then the config file, then the
/// command line (which wins), then <see cref="ConfigValidator"/>. Relative paths in the config
/// file resolve against the file's folder; relative paths on the command line and in defaults
/// resolve against the current directory.
/// </summary>
public static class TrainingConfigLoader
{
    /// <summary>From `macescf train` arguments (`--config file.yaml` and options).</summary>
    public static TrainingConfig Load(IReadOnlyList<string> args, string currentDirectory)
    {
        var commandLine = TrainingCommandLine.Parse(args);
        return Load(commandLine.ConfigFile, commandLine.Values, currentDirectory);
    }

    /// <summary>From a command line split by <see cref="CommandLineWords"/> (`macescf train`).</summary>
    internal static TrainingConfig Load(CommandLineWords words, string currentDirectory)
    {
        var commandLine = TrainingCommandLine.From(words);
        return Load(commandLine.ConfigFile, commandLine.Values, currentDirectory);
    }

    /// <summary>From a config file (or none) and command-line values.</summary>
    internal static TrainingConfig Load(string? configFile, IReadOnlyList<CommandLineValue> commandLine, string currentDirectory)
    {
        var values = Defaults(currentDirectory);
        string? file = null;
        if (configFile is not null)
        {
            file = Path.GetFullPath(configFile, currentDirectory);
            if (!File.Exists(file)) throw new ConfigurationException(configFile, null, null, "", $"config file not found (resolved to '{file}')");
            if (Path.GetExtension(file).ToLowerInvariant() is ".xyz" or ".extxyz")
                throw new ConfigurationException(configFile, null, null, "",
                    "is an extended XYZ data file, not a config.yaml: name it in config.yaml as train_file (or give --train_file FILE) "
                    + "and pass the config.yaml with --config (examples/conductor/config.yaml is a template)");
            ApplyFile(values, File.ReadAllText(file), configFile, Path.GetDirectoryName(file)!);
        }
        ApplyCommandLine(values, commandLine, currentDirectory);
        var config = new TrainingConfig(values.Values, file);
        ConfigValidator.Validate(config);
        return config;
    }

    /// From config.yaml text (named <paramref name="sourceName"/> in messages, relative paths
    /// resolved against <paramref name="baseDirectory"/>) and command-line values.
    internal static TrainingConfig FromText(string yaml, string sourceName, string baseDirectory, IReadOnlyList<CommandLineValue> commandLine)
    {
        var values = Defaults(baseDirectory);
        ApplyFile(values, yaml, sourceName, baseDirectory);
        ApplyCommandLine(values, commandLine, baseDirectory);
        var config = new TrainingConfig(values.Values, null);
        ConfigValidator.Validate(config);
        return config;
    }

    static Dictionary<Option, OptionValue> Defaults(string currentDirectory) =>
        TrainingOptions.All.ToDictionary(o => o, o => new OptionValue(o, o.DefaultValue(currentDirectory), ValueOrigin.Default));

    static void ApplyFile(Dictionary<Option, OptionValue> values, string yaml, string source, string baseDirectory)
    {
        var context = new ValueContext(source, "", baseDirectory, HasPositions: true);
        var root = Nodes.Parse(yaml, context);
        if (root is null || (root is YamlScalarNode s && Nodes.IsNone(s))) return;
        var mapping = Nodes.Mapping(root, context, "a mapping of option names to values");
        foreach (var (key, keyNode, value) in Nodes.Entries(mapping, context, null, "option"))
        {
            var at = context.Child(key);
            if (key == "config") throw at.Error(keyNode, "a config file cannot name another config file");
            var option = TrainingOptions.Find(key) ?? throw Nodes.UnknownKey(at, keyNode, key, TrainingOptions.All.Select(o => o.Name), "option");
            values[option] = new OptionValue(option, option.Read(value, at),
                new ValueOrigin(ValueSource.ConfigFile, source, keyNode.Start.Line, keyNode.Start.Column));
        }
    }

    static void ApplyCommandLine(Dictionary<Option, OptionValue> values, IReadOnlyList<CommandLineValue> commandLine, string currentDirectory)
    {
        var seen = new HashSet<Option>();
        foreach (var (rawName, text) in commandLine)
        {
            string name = rawName.Replace('-', '_');
            var context = new ValueContext($"command line --{name}", "", currentDirectory, HasPositions: false);
            bool negated = TrainingOptions.Find(name) is null && name.StartsWith("no_", StringComparison.Ordinal) && TrainingOptions.Find(name[3..])?.IsBool == true;
            var option = TrainingOptions.Find(negated ? name[3..] : name)
                ?? throw Nodes.UnknownKey(context, null, name, TrainingOptions.All.Select(o => o.Name), "option");
            if (!seen.Add(option)) throw context.Error(null, $"{option.Name} is given twice on the command line");
            object? value;
            if (negated)
            {
                if (text is not null) throw context.Error(null, $"--no_{option.Name} takes no value");
                value = false;
            }
            else if (text is null)
            {
                if (!option.IsBool) throw context.Error(null, "needs a value");
                value = true;
            }
            else
            {
                var node = option.StructuredOnCommandLine ? Nodes.Parse(text, context) ?? Scalars.Plain("") : Scalars.Plain(text);
                value = option.Read(node, context);
            }
            values[option] = new OptionValue(option, value, new ValueOrigin(ValueSource.CommandLine, context.Source, null, null));
        }
    }
}
