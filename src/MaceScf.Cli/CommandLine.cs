using System.Globalization;

namespace MaceScf.Cli;

/// The words of one subcommand's command line: positional arguments and `--key value`,
/// `--key=value` or bare `--flag` options. Option names are normalised so that `--r-max`
/// and `--r_max` are the same option (the seed's flags use underscores).
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandLine(IReadOnlyList<string> args, IReadOnlySet<string> flagNames)
    {
        var positional = new List<string>();
        for (int i = 0; i < args.Count; i++)
        {
            string a = args[i];
            if (a.StartsWith("--", StringComparison.Ordinal) && a.Length > 2)
            {
                string body = a[2..];
                int eq = body.IndexOf('=');
                string name = Normalise(eq >= 0 ? body[..eq] : body);
                string? value;
                if (eq >= 0) value = body[(eq + 1)..];
                else if (name == "help" || flagNames.Contains(name)) value = null;
                else if (i + 1 < args.Count) value = args[++i];
                else throw new UsageException($"option --{name} needs a value");
                if (!_options.TryAdd(name, value)) throw new UsageException($"option --{name} is given twice");
            }
            else if (a == "-o" || a == "-h")
            {
                string name = a == "-o" ? "output" : "help";
                if (name == "help") { _options["help"] = null; continue; }
                if (i + 1 >= args.Count) throw new UsageException("option -o needs a value");
                if (!_options.TryAdd(name, args[++i])) throw new UsageException("option -o/--output is given twice");
            }
            else positional.Add(a);
        }
        Positional = positional;
    }

    public IReadOnlyList<string> Positional { get; }

    public static string Normalise(string name) => name.Replace('-', '_');

    public bool Has(string name) { _read.Add(name); return _options.ContainsKey(name); }

    public string? String(string name)
    {
        _read.Add(name);
        return _options.TryGetValue(name, out var v) ? v : null;
    }

    public bool Flag(string name)
    {
        _read.Add(name);
        if (!_options.TryGetValue(name, out var v)) return false;
        return v is null || ParseBool(name, v);
    }

    public double? Double(string name)
    {
        string? v = String(name);
        if (v is null) return null;
        if (!double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            throw new UsageException($"option --{name} expects a number, got '{v}'");
        return d;
    }

    public int? Int(string name)
    {
        string? v = String(name);
        if (v is null) return null;
        if (!int.TryParse(v, NumberStyles.Integer, CultureInfo.InvariantCulture, out int i))
            throw new UsageException($"option --{name} expects an integer, got '{v}'");
        return i;
    }

    /// A list of numbers written as `[1.5, 3.0]`, `1.5,3.0` or `"1.5 3.0"`.
    public double[]? Doubles(string name)
    {
        string? v = String(name);
        return v is null ? null : ParseDoubles(name, v);
    }

    public static double[] ParseDoubles(string name, string text)
    {
        var parts = text.Trim().TrimStart('[', '(').TrimEnd(']', ')')
            .Split([',', ' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length == 0) throw new UsageException($"option --{name} expects a list of numbers, got '{text}'");
        return parts.Select(p => double.TryParse(p, NumberStyles.Float, CultureInfo.InvariantCulture, out double d)
            ? d
            : throw new UsageException($"option --{name} expects a list of numbers such as [1.5, 3.0], got '{text}'")).ToArray();
    }

    /// Fails on any option the command did not ask for (read or listed in <paramref name="known"/>),
    /// suggesting the closest one.
    public void RejectUnknown(IEnumerable<string> known)
    {
        var knownList = known.Concat(_read).Distinct().ToList();
        foreach (var name in _options.Keys)
        {
            if (knownList.Contains(name)) continue;
            string? near = MaceScf.Text.ClosestMatch.Find(name, knownList);
            throw new UsageException($"unknown option --{name}" + (near is null ? "" : $" (did you mean --{near}?)"));
        }
    }

    private static bool ParseBool(string name, string v) => v.ToLowerInvariant() switch
    {
        "true" or "t" or "1" or "yes" => true,
        "false" or "f" or "0" or "no" => false,
        _ => throw new UsageException($"option --{name} expects true or false, got '{v}'"),
    };
}

/// A mistake in how the program was called; reported with the command's usage.
internal sealed class UsageException(string message) : Exception(message);
