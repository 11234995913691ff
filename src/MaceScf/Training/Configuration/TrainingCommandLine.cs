namespace MaceScf.Training;

/// Splits `macescf train` arguments into `--config` and option values: `--name value`,
/// `--name=value`, and for true/false options a bare `--name` (true), `--name True|False|true|false`
/// or `--no_name` (false). Dashes in names are read as underscores (`--scf-convergence-summary`).
internal sealed record TrainingCommandLine(string? ConfigFile, IReadOnlyList<CommandLineValue> Values)
{
    static readonly string[] BoolWords = ["True", "False", "true", "false"];

    public static TrainingCommandLine Parse(IReadOnlyList<string> args)
    {
        string? config = null;
        var values = new List<CommandLineValue>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal) || arg.Length == 2)
                throw new ConfigurationException("command line", null, null, "", $"unexpected argument '{arg}' (options are written --name value)");
            string body = arg[2..];
            int eq = body.IndexOf('=');
            string name = (eq >= 0 ? body[..eq] : body).Replace('-', '_');
            string? text;
            if (eq >= 0) text = body[(eq + 1)..];
            else if (IsBoolName(name)) text = i + 1 < args.Count && BoolWords.Contains(args[i + 1]) ? args[++i] : null;
            else if (i + 1 < args.Count) text = args[++i];
            else throw new ConfigurationException($"command line --{name}", null, null, "", "needs a value");
            if (name == "config")
            {
                if (config is not null) throw new ConfigurationException("command line --config", null, null, "", "is given twice");
                config = text ?? throw new ConfigurationException("command line --config", null, null, "", "needs a value");
            }
            else values.Add(new CommandLineValue(name, text));
        }
        return new TrainingCommandLine(config, values);
    }

    static bool IsBoolName(string name) =>
        TrainingOptions.Find(name)?.IsBool == true ||
        (name.StartsWith("no_", StringComparison.Ordinal) && TrainingOptions.Find(name[3..])?.IsBool == true);
}
