using System.Text;
using System.Text.Json.Nodes;

namespace MaceScf.Data;

/// Writes keys and info values so that <see cref="InfoValueParser"/> (and ASE) read back the
/// same type and value: doubles always look like floats, vectors are quoted, strings that would
/// read back as numbers or booleans and values with no plain form are written as "_JSON ...".
internal static class InfoValueFormatter
{
    public static string FormatKey(string key)
    {
        if (key.Length == 0) throw new ArgumentException("info keys must not be empty");
        if (key.Any(char.IsControl)) throw new ArgumentException($"info key '{key}' contains a control character");
        return NeedsQuotes(key) ? Quote(key) : key;
    }

    public static string FormatValue(string key, object value) => value switch
    {
        double d => ExtXyzNumbers.FormatDoubleKeepingType(d),
        long l => ExtXyzNumbers.FormatLong(l),
        int i => ExtXyzNumbers.FormatLong(i),
        bool b => ExtXyzNumbers.FormatBool(b),
        string s => FormatString(s),
        double[] d => Vector(d, ExtXyzNumbers.FormatDoubleKeepingType, () => Json(key, d)),
        long[] l => Vector(l, ExtXyzNumbers.FormatLong, () => Json(key, l)),
        int[] i => Vector(i, v => ExtXyzNumbers.FormatLong(v), () => Json(key, i)),
        bool[] b => Vector(b, ExtXyzNumbers.FormatBool, () => Json(key, b)),
        // ASE accepts `stress` and `virial` only as 9 plain numbers (it refuses a _JSON value for them): written row by
        // row, the order our reader takes them in (docs/extxyz.md; for the symmetric tensors ASE reads the same matrix).
        double[,] { Length: 9 } m when m.GetLength(0) == 3 && AseNineNumberKeys.Contains(key) =>
            Vector(m.Cast<double>().ToArray(), ExtXyzNumbers.FormatDoubleKeepingType, () => Json(key, m)),
        double[,] or long[,] or JsonNode => Json(key, value),
        _ => throw new ArgumentException(
            $"info '{key}' has type {value.GetType().Name}; expected double, long, int, bool, string, a 1-D array of those, double[,], long[,] or JsonNode"),
    };

    /// Info keys that ASE reads only as 9 plain numbers, reshaped to 3×3 (besides `Lattice`, which the header writes).
    private static readonly HashSet<string> AseNineNumberKeys = ["stress", "virial"];

    /// A vector of two or more elements is written as a quoted list; shorter ones as JSON so
    /// they do not read back as a scalar (or as an empty string).
    private static string Vector<T>(T[] values, Func<T, string> format, Func<string> asJson) =>
        values.Length < 2 ? asJson() : Quote(string.Join(" ", values.Select(format)));

    private static string FormatString(string text)
    {
        bool readsBackAsIs = !text.Any(char.IsControl)
            && !text.StartsWith(InfoValueParser.JsonPrefix, StringComparison.Ordinal)
            && InfoValueParser.Parse(text) is string same && same == text;
        if (!readsBackAsIs) return Quote(InfoValueParser.JsonPrefix + JsonString(text));
        return NeedsQuotes(text) ? Quote(text) : text;
    }

    private static string Json(string key, object value)
    {
        var json = new StringBuilder();
        AppendJson(key, json, value);
        return Quote(InfoValueParser.JsonPrefix + json);
    }

    private static void AppendJson(string key, StringBuilder json, object value)
    {
        switch (value)
        {
            case double d:
                if (!double.IsFinite(d)) throw new ArgumentException($"info '{key}' holds {d}, which JSON cannot represent");
                json.Append(ExtXyzNumbers.FormatDoubleKeepingType(d));
                break;
            case long or int:
                json.Append(Convert.ToInt64(value));
                break;
            case bool b:
                json.Append(b ? "true" : "false");
                break;
            case JsonNode node:
                json.Append(node.ToJsonString());
                break;
            case Array { Rank: 1 } vector:
                json.Append('[');
                for (int i = 0; i < vector.Length; i++)
                {
                    if (i > 0) json.Append(", ");
                    AppendJson(key, json, vector.GetValue(i)!);
                }
                json.Append(']');
                break;
            case Array { Rank: 2 } matrix:
                json.Append('[');
                for (int i = 0; i < matrix.GetLength(0); i++)
                {
                    if (i > 0) json.Append(", ");
                    json.Append('[');
                    for (int j = 0; j < matrix.GetLength(1); j++)
                    {
                        if (j > 0) json.Append(", ");
                        AppendJson(key, json, matrix.GetValue(i, j)!);
                    }
                    json.Append(']');
                }
                json.Append(']');
                break;
            default:
                throw new ArgumentException($"info '{key}' holds a {value.GetType().Name}, which cannot be written as JSON");
        }
    }

    private static string JsonString(string text) => JsonValue.Create(text).ToJsonString();

    private static bool NeedsQuotes(string text) =>
        text.Length == 0 || text.AsSpan().IndexOfAny(" \t\r\n\f\v\"'{}[]\\=") >= 0;

    /// Wraps in double quotes, escaping backslash and quote (control characters never get here).
    private static string Quote(string text)
    {
        var quoted = new StringBuilder(text.Length + 2).Append('"');
        foreach (char c in text)
        {
            switch (c)
            {
                case '\\': quoted.Append(@"\\"); break;
                case '"': quoted.Append("\\\""); break;
                default: quoted.Append(c); break;
            }
        }
        return quoted.Append('"').ToString();
    }
}
