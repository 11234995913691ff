using System.Security.Cryptography;
using System.Text.Json;

namespace MaceScf.Training;

/// `checksums.json` in a checkpoint folder: the SHA-256 of every other file in it, written last, checked before a restart
/// reads anything (docs/errors.md). Folders written before checksums were added have none and are read unchecked.
static class CheckpointChecksums
{
    public const string FileName = "checksums.json";

    public static void Write(string folder)
    {
        var sums = Directory.GetFiles(folder).Select(Path.GetFileName).Where(n => n != FileName).Order(StringComparer.Ordinal)
            .ToDictionary(n => n!, n => Of(Path.Combine(folder, n!)));
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(sums, new JsonSerializerOptions { WriteIndented = true }));
    }

    /// Throws an <see cref="InvalidDataException"/> naming the first file that is missing or differs.
    public static void Verify(string folder)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return;
        Dictionary<string, string> sums;
        try
        {
            sums = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? [];
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{path}': corrupt checkpoint checksums ({e.Message}); restart from an intact checkpoint or without one", e);
        }
        foreach (var (name, expected) in sums)
        {
            string file = Path.Combine(folder, name);
            if (!File.Exists(file))
                throw new InvalidDataException($"'{file}': missing from the checkpoint; restart from an intact checkpoint or without one");
            if (Of(file) != expected)
                throw new InvalidDataException($"'{file}': does not match the checkpoint's checksum (changed or damaged after it was written); "
                    + "restart from an intact checkpoint or without one");
        }
    }

    static string Of(string file)
    {
        using var stream = File.OpenRead(file);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
