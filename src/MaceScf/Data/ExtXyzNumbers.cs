using System.Globalization;

namespace MaceScf.Data;

/// Number and boolean spelling used in extended XYZ (invariant culture, round-trip doubles).
internal static class ExtXyzNumbers
{
    private static readonly CultureInfo Invariant = CultureInfo.InvariantCulture;

    public static bool TryParseLong(ReadOnlySpan<char> text, out long value) =>
        long.TryParse(text, NumberStyles.AllowLeadingSign, Invariant, out value);

    public static bool TryParseDouble(ReadOnlySpan<char> text, out double value)
    {
        if (double.TryParse(text, NumberStyles.Float, Invariant, out value)) return true;
        return TryParseNonFinite(text, out value);
    }

    /// Python spellings that .NET does not accept: inf, +inf, -inf, nan (any case).
    private static bool TryParseNonFinite(ReadOnlySpan<char> text, out double value)
    {
        bool negative = text.Length > 0 && text[0] == '-';
        var body = text.Length > 0 && (text[0] == '-' || text[0] == '+') ? text[1..] : text;
        if (body.Equals("inf", StringComparison.OrdinalIgnoreCase) || body.Equals("infinity", StringComparison.OrdinalIgnoreCase))
        {
            value = negative ? double.NegativeInfinity : double.PositiveInfinity;
            return true;
        }
        if (body.Equals("nan", StringComparison.OrdinalIgnoreCase))
        {
            value = double.NaN;
            return true;
        }
        value = 0;
        return false;
    }

    /// T, F, True, False, true, false, TRUE, FALSE (as ASE).
    public static bool TryParseBool(ReadOnlySpan<char> text, out bool value)
    {
        switch (text)
        {
            case "T" or "True" or "true" or "TRUE":
                value = true;
                return true;
            case "F" or "False" or "false" or "FALSE":
                value = false;
                return true;
            default:
                value = false;
                return false;
        }
    }

    /// Shortest text that parses back to the same double.
    public static string FormatDouble(double value) => value.ToString("R", Invariant);

    public static bool TryFormatDouble(double value, Span<char> destination, out int written) =>
        value.TryFormat(destination, out written, "R", Invariant);

    /// Like <see cref="FormatDouble"/> but always reads back as a float, never as an integer
    /// ("20" becomes "20.0"); used where the type is inferred from the text.
    public static string FormatDoubleKeepingType(double value)
    {
        string text = FormatDouble(value);
        return text.AsSpan().IndexOfAny(".EeNI") >= 0 ? text : text + ".0";
    }

    public static string FormatLong(long value) => value.ToString(Invariant);

    public static string FormatBool(bool value) => value ? "T" : "F";
}
