using MaceScf.Text;

namespace MaceScf.Training;

/// `macescf train` arguments as <see cref="CommandLineWords"/> splits every command line, read as `--config` and option
/// values: `--name value`, `--name=value`, and for true/false options a bare `--name` (true), `--name True|False|true|false`
/// or `--no_name` (false).
internal sealed record TrainingCommandLine(string? ConfigFile, IReadOnlyList<CommandLineValue> Values)
{
    /// The options that take no value: every true/false option and its `no_` form.
    public static IReadOnlySet<string> FlagNames { get; } = TrainingOptions.All.Where(o => o.IsBool)
        .SelectMany(o => new[] { o.Name, "no_" + o.Name }).ToHashSet(StringComparer.Ordinal);

    public static TrainingCommandLine Parse(IReadOnlyList<string> args)
    {
        CommandLineWords words;
        try
        {
            words = CommandLineWords.Split(args, FlagNames.Contains);
        }
        catch (CommandLineException e)
        {
            throw new ConfigurationException($"command line --{e.Option}", null, null, "", e.Problem);
        }
        return From(words);
    }

    /// The `--config` file and the other values of <paramref name="words"/>, which must have no positional word.
    public static TrainingCommandLine From(CommandLineWords words)
    {
        if (words.Positional.Count > 0)
            throw new ConfigurationException("command line", null, null, "", $"unexpected argument '{words.Positional[0]}' (options are written --name value)");
        string? config = null;
        var values = new List<CommandLineValue>();
        foreach (var value in words.Values)
        {
            if (value.Name != "config")
            {
                values.Add(value);
                continue;
            }
            if (config is not null) throw new ConfigurationException("command line --config", null, null, "", "is given twice");
            config = value.Text;
        }
        return new TrainingCommandLine(config, values);
    }
}
