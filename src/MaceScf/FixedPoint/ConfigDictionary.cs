using System.Text.Json;

namespace MaceScf.FixedPoint;

/// Reads the small flat dictionaries of --fixedpoint_update_config and --field_readout_config, written as JSON or as a
/// Python dict literal ("{'type': 'ManyBodyUpdate'}"). Values are strings.
internal static class ConfigDictionary
{
    public static IReadOnlyDictionary<string, string> Parse(string text)
    {
        var json = text.Trim().Replace('\'', '"');
        try
        {
            using var doc = JsonDocument.Parse(json);
            if (doc.RootElement.ValueKind != JsonValueKind.Object)
                throw new ArgumentException($"Expected a dictionary such as {{'type': 'Name'}}, got '{text}'.");
            return doc.RootElement.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.ValueKind == JsonValueKind.String
                ? p.Value.GetString()!
                : p.Value.GetRawText());
        }
        catch (JsonException e)
        {
            throw new ArgumentException($"Cannot read the dictionary '{text}': {e.Message}", e);
        }
    }

    /// Throws when the dictionary has keys other than <paramref name="known"/>.
    public static void CheckKeys(IReadOnlyDictionary<string, string> values, IReadOnlyList<string> known, string what)
    {
        var unknown = values.Keys.Where(k => !known.Contains(k)).ToArray();
        if (unknown.Length > 0)
            throw new ArgumentException($"Unknown key(s) {string.Join(", ", unknown)} in {what}. Valid keys: {string.Join(", ", known)}.");
    }
}
