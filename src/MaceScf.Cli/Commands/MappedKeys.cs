using MaceScf.Data;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// The file keys named in `--keys`: a key present in no frame is an error naming it, the file and the keys that exist
/// (instead of silently dropping that label's rows); a key present in some frames only is a warning with the counts.
internal static class MappedKeys
{
    public static void Check(string? keysText, IReadOnlyList<Configuration> frames, string path, IAnsiConsole console)
    {
        if (keysText is null) return;
        foreach (var entry in keysText.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            string property = kv[0], key = kv[1];
            int present = frames.Count(f => f.Info.ContainsKey(key) || f.Arrays.ContainsKey(key));
            if (present == 0)
                throw new InvalidDataException($"--keys {property}={key}: no frame of '{path}' has the key '{key}'; its frames have info keys "
                    + $"{List(frames.SelectMany(f => f.Info.Keys))} and per-atom arrays {List(frames.SelectMany(f => f.Arrays.Keys))}");
            if (present < frames.Count)
                console.WriteLine($"warning: --keys {property}={key}: '{key}' is in {present} of the {frames.Count} frames of '{path}'; "
                    + "the others have no such label");
        }
    }

    static string List(IEnumerable<string> keys)
    {
        var distinct = keys.Distinct().ToArray();
        return distinct.Length == 0 ? "(none)" : string.Join(", ", distinct);
    }
}
