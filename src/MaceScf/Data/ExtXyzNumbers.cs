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
        if (TryParseShortDecimal(text, out value)) return true;
        if (double.TryParse(text, NumberStyles.Float, Invariant, out value)) return true;
        return TryParseNonFinite(text, out value);
    }

    private static readonly double[] PowersOfTen =
    [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
        1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];

    /// Fast exact path for the common case (a few decimals, small exponent): when the digits form
    /// an integer m ≤ 2^53 and the decimal exponent e has |e| ≤ 22, both m and 10^|e| are exact
    /// doubles, so one IEEE multiplication or division gives the correctly rounded result. Anything
    /// else returns false and goes to the general parser.
    private static bool TryParseShortDecimal(ReadOnlySpan<char> text, out double value)
    {
        value = 0;
        int pos = 0;
        bool negative = false;
        if (pos < text.Length && (text[pos] == '-' || text[pos] == '+')) negative = text[pos++] == '-';
        ulong mantissa = 0;
        int digits = 0;
        int fractionDigits = 0;
        bool seenPoint = false;
        for (; pos < text.Length; pos++)
        {
            char c = text[pos];
            if (c is >= '0' and <= '9')
            {
                if (++digits > 19) return false;
                mantissa = mantissa * 10 + (ulong)(c - '0');
                if (seenPoint) fractionDigits++;
            }
            else if (c == '.' && !seenPoint) seenPoint = true;
            else break;
        }
        if (digits == 0) return false;
        int exponent = 0;
        if (pos < text.Length)
        {
            if (text[pos] is not ('e' or 'E')) return false;
            pos++;
            bool negativeExponent = false;
            if (pos < text.Length && (text[pos] == '-' || text[pos] == '+')) negativeExponent = text[pos++] == '-';
            int exponentDigits = 0;
            for (; pos < text.Length; pos++)
            {
                char c = text[pos];
                if (c is < '0' or > '9' || ++exponentDigits > 4) return false;
                exponent = exponent * 10 + (c - '0');
            }
            if (exponentDigits == 0) return false;
            if (negativeExponent) exponent = -exponent;
        }
        exponent -= fractionDigits;
        if (mantissa > 1UL << 53 || exponent < -22 || exponent > 22) return false;
        double magnitude = exponent >= 0 ? mantissa * PowersOfTen[exponent] : mantissa / PowersOfTen[-exponent];
        value = negative ? -magnitude : magnitude;
        return true;
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
