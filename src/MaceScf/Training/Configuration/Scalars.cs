using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Writing scalars so that they read back the same.
internal static class Scalars
{
    public static YamlScalarNode Plain(string text) => new(text) { Style = ScalarStyle.Plain };

    public static YamlScalarNode Quoted(string text) => new(text) { Style = ScalarStyle.DoubleQuoted };

    public static YamlScalarNode Null() => Plain("null");

    public static YamlScalarNode Number(double value) => Plain(Format(value));

    public static YamlScalarNode Number(long value) => Plain(value.ToString(CultureInfo.InvariantCulture));

    /// Shortest round-trip text, always with a decimal point (`100.0`, `5.0E-07`) so that YAML 1.1
    /// readers such as PyYAML also read a float.
    public static string Format(double value)
    {
        string text = value.ToString("R", CultureInfo.InvariantCulture);
        if (text.Contains('.') || !double.IsFinite(value)) return text;
        int e = text.IndexOf('E');
        return e < 0 ? text + ".0" : text[..e] + ".0" + text[e..];
    }

    public static bool TryParseDouble(string text, out double value) =>
        double.TryParse(text.Trim(), NumberStyles.Float, CultureInfo.InvariantCulture, out value) && double.IsFinite(value);

    public static bool TryParseInt(string text, out int value) =>
        int.TryParse(text.Trim(), NumberStyles.Integer, CultureInfo.InvariantCulture, out value);
}
