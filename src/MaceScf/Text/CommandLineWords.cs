namespace MaceScf.Text;

/// <summary>
/// The one way every `macescf` command line is split (every subcommand and <c>TrainingConfigLoader.Load</c>): positional
/// words and options in order. `--name value` and `--name=value` give a value; a flag (a name the caller's predicate accepts)
/// takes none, or one of True, False, true, false right after it (`--ema`, `--include_field_si false`); `-o` is `--output`
/// and `-h` `--help`. Dashes in names are read as underscores (`--r-max` is `--r_max`).
/// </summary>
internal sealed record CommandLineWords(IReadOnlyList<string> Positional, IReadOnlyList<CommandLineValue> Values)
{
    static readonly string[] BoolWords = ["True", "False", "true", "false"];

    /// <exception cref="CommandLineException">an option other than a flag is the last word</exception>
    public static CommandLineWords Split(IReadOnlyList<string> args, Func<string, bool> isFlag)
    {
        var positional = new List<string>();
        var values = new List<CommandLineValue>();
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string? name = arg switch
            {
                "-o" => "output",
                "-h" => "help",
                _ when arg.StartsWith("--", StringComparison.Ordinal) && arg.Length > 2 => arg[2..],
                _ => null,
            };
            if (name is null)
            {
                positional.Add(arg);
                continue;
            }
            int eq = name.IndexOf('=');
            string? text = eq >= 0 ? name[(eq + 1)..] : null;
            name = Normalise(eq >= 0 ? name[..eq] : name);
            if (eq < 0 && (name == "help" || isFlag(name))) text = i + 1 < args.Count && BoolWords.Contains(args[i + 1]) ? args[++i] : null;
            else if (eq < 0) text = i + 1 < args.Count ? args[++i] : throw new CommandLineException(name, "needs a value");
            values.Add(new CommandLineValue(name, text));
        }
        return new CommandLineWords(positional, values);
    }

    /// `--r-max` and `--r_max` are the same option (the seed's names use underscores).
    public static string Normalise(string name) => name.Replace('-', '_');
}

/// <summary>A command line that cannot be split: the option and what is wrong with it.</summary>
internal sealed class CommandLineException(string option, string problem) : Exception($"option --{option} {problem}")
{
    public string Option { get; } = option;

    public string Problem { get; } = problem;
}
