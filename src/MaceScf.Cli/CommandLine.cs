using System.Globalization;
using MaceScf.Text;

namespace MaceScf.Cli;

/// One subcommand's command line, split by <see cref="CommandLineWords"/> (the one splitter of every command), with typed
/// access to its options by name; an option given twice is a usage error.
internal sealed class CommandLine
{
    private readonly Dictionary<string, string?> _options = new(StringComparer.Ordinal);
    private readonly HashSet<string> _read = new(StringComparer.Ordinal);

    public CommandLine(IReadOnlyList<string> args, IReadOnlySet<string> flagNames)
    {
        try
        {
            Words = CommandLineWords.Split(args, flagNames.Contains);
        }
        catch (CommandLineException e)
        {
            throw new UsageException(e.Message);
        }
        foreach (var (name, value) in Words.Values)
            if (!_options.TryAdd(name, value)) throw new UsageException($"option --{name} is given twice");
        Positional = Words.Positional;
    }

    /// The words as split, options in their order.
    public CommandLineWords Words { get; }

    public IReadOnlyList<string> Positional { get; }

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
