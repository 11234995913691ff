using System.Text.Json;
using System.Text.Json.Nodes;

namespace MaceScf.Data;

/// Turns the text of a comment-line value into a typed info value, following ASE: all tokens
/// (split on whitespace and commas) integers → long / long[]; else all numbers → double /
/// double[]; else all booleans (T, F, True, ...) → bool / bool[]; "_JSON ..." → parsed JSON;
/// anything else stays a string. A key without a value means true.
internal static class InfoValueParser
{
    public const string JsonPrefix = "_JSON ";

    private static readonly char[] Separators = [' ', '\t', ',', '\r', '\n', '\f', '\v'];

    public static object Parse(string? raw)
    {
        if (raw is null) return true;
        if (raw.StartsWith(JsonPrefix, StringComparison.Ordinal)) return ParseJson(raw[JsonPrefix.Length..]);
        var tokens = raw.Split(Separators, StringSplitOptions.RemoveEmptyEntries);
        if (tokens.Length == 0) return raw;
        return TryAll<long>(tokens, ExtXyzNumbers.TryParseLong)
            ?? TryAll<double>(tokens, ExtXyzNumbers.TryParseDouble)
            ?? TryAll<bool>(tokens, ExtXyzNumbers.TryParseBool)
            ?? raw;
    }

    private delegate bool TryParser<T>(ReadOnlySpan<char> text, out T value);

    private static object? TryAll<T>(string[] tokens, TryParser<T> tryParse)
    {
        var values = new T[tokens.Length];
        for (int i = 0; i < tokens.Length; i++)
            if (!tryParse(tokens[i], out values[i])) return null;
        return values.Length == 1 ? values[0] : values;
    }

    private static object ParseJson(string json)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(json);
        }
        catch (JsonException e)
        {
            throw new ExtXyzSyntaxError($"value after {JsonPrefix.Trim()} is not valid JSON ({e.Message})");
        }
        return node is null ? throw new ExtXyzSyntaxError("a _JSON value is null (expected a JSON value)") : FromJson(node);
    }

    /// Scalars and rectangular numeric (or boolean, 1-D) arrays become CLR values; everything
    /// else keeps its JsonNode.
    private static object FromJson(JsonNode node)
    {
        switch (node.GetValueKind())
        {
            case JsonValueKind.String: return node.GetValue<string>();
            case JsonValueKind.True: return true;
            case JsonValueKind.False: return false;
            case JsonValueKind.Number: return NumberOf(node);
            case JsonValueKind.Array: return ArrayOf(node.AsArray()) ?? node;
            default: return node;
        }
    }

    private static object NumberOf(JsonNode node) =>
        node.AsValue().TryGetValue(out long integer) ? (object)integer : node.GetValue<double>();

    private static object? ArrayOf(JsonArray array)
    {
        if (array.Count == 0) return Array.Empty<double>();
        if (array.All(e => e?.GetValueKind() is JsonValueKind.True or JsonValueKind.False))
            return array.Select(e => e!.GetValue<bool>()).ToArray();
        if (array.All(e => e?.GetValueKind() == JsonValueKind.Number))
        {
            var numbers = array.Select(e => NumberOf(e!)).ToArray();
            return numbers.All(n => n is long)
                ? numbers.Cast<long>().ToArray()
                : numbers.Select(n => n is long l ? l : (double)n).ToArray();
        }
        if (array.All(e => e is JsonArray)) return MatrixOf(array);
        return null;
    }

    /// A list of equally long numeric lists → long[,] (all integers) or double[,].
    private static object? MatrixOf(JsonArray rows)
    {
        var parsed = rows.Select(r => ArrayOf(r!.AsArray())).ToArray();
        int width = rows[0]!.AsArray().Count;
        if (width == 0 || parsed.Any(r => r is not (long[] or double[]) || ((Array)r).Length != width)) return null;
        if (parsed.All(r => r is long[]))
        {
            var longs = new long[rows.Count, width];
            for (int i = 0; i < rows.Count; i++)
                for (int j = 0; j < width; j++) longs[i, j] = ((long[])parsed[i]!)[j];
            return longs;
        }
        var doubles = new double[rows.Count, width];
        for (int i = 0; i < rows.Count; i++)
            for (int j = 0; j < width; j++)
                doubles[i, j] = parsed[i] is long[] l ? l[j] : ((double[])parsed[i]!)[j];
        return doubles;
    }
}
