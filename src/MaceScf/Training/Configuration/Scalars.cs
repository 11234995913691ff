using System.Globalization;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Writing scalars so that they read back the same.
public static class Scalars
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

/// An integer, optionally with a lower bound.
public sealed class IntKind(int? minimum = null) : ValueKind<int>
{
    public override string TypeName => "int";

    public override int Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "an integer");
        if (!Scalars.TryParseInt(text, out int value)) throw context.Error(node, $"expected an integer, got '{text}'");
        if (value < minimum) throw context.Error(node, $"must be at least {minimum}, got {value}");
        return value;
    }

    public override YamlNode Write(int value) => Scalars.Number(value);
}

/// A finite floating-point number, optionally bounded below (inclusive or exclusive) and above.
public sealed class DoubleKind(double? minimum = null, bool minimumExclusive = false, double? maximum = null) : ValueKind<double>
{
    public override string TypeName => "float";

    public override double Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "a number");
        if (!Scalars.TryParseDouble(text, out double value)) throw context.Error(node, $"expected a number, got '{text}'");
        if (minimum is double lo && (minimumExclusive ? value <= lo : value < lo))
            throw context.Error(node, $"must be {(minimumExclusive ? "greater than" : "at least")} {lo}, got {text}");
        if (maximum is double hi && value > hi) throw context.Error(node, $"must be at most {hi}, got {text}");
        return value;
    }

    public override YamlNode Write(double value) => Scalars.Number(value);
}

/// True/False/true/false (the Python spelling and the YAML one).
public sealed class BoolKind : ValueKind<bool>
{
    public override string TypeName => "bool";

    public override bool Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "True or False");
        return text switch
        {
            "True" or "true" => true,
            "False" or "false" => false,
            _ => throw context.Error(node, $"expected True or False, got '{text}'"),
        };
    }

    public override YamlNode Write(bool value) => Scalars.Plain(value ? "true" : "false");
}

/// Free text; None leaves it unset.
public sealed class TextKind : ValueKind<string?>
{
    public override string TypeName => "str";

    public override string? Read(YamlNode node, ValueContext context) =>
        Nodes.IsNone(node) ? null : Nodes.Scalar(node, context, "text");

    public override YamlNode Write(string? value) => value is null ? Scalars.Null() : Scalars.Quoted(value);
}

/// One of a fixed set of names (case-sensitive, as in the Python command line).
public sealed class ChoiceKind(params string[] choices) : ValueKind<string>
{
    public IReadOnlyList<string> Choices { get; } = choices;

    public override string TypeName => string.Join(" | ", Choices);

    public override string Read(YamlNode node, ValueContext context)
    {
        string text = Nodes.Scalar(node, context, "one of " + string.Join(", ", Choices));
        if (Choices.Contains(text)) return text;
        string? near = MaceScf.Text.ClosestMatch.Find(text, Choices);
        throw context.Error(node, $"'{text}' is not one of {string.Join(", ", Choices)}" + (near is null ? "" : $" (did you mean '{near}'?)"));
    }

    public override YamlNode Write(string value) => Scalars.Plain(value);
}

/// An enum written in snake_case (`unroll_scf`, `molecule_in_box`, `schedulefree`).
public sealed class EnumKind<TEnum> : ValueKind<TEnum> where TEnum : struct, Enum
{
    readonly ChoiceKind _names = new(Enum.GetValues<TEnum>().Select(SnakeCase.Of).ToArray());

    public override string TypeName => _names.TypeName;

    public override TEnum Read(YamlNode node, ValueContext context)
    {
        string name = _names.Read(node, context);
        return Enum.GetValues<TEnum>().First(v => SnakeCase.Of(v) == name);
    }

    public override YamlNode Write(TEnum value) => Scalars.Plain(SnakeCase.Of(value));
}

/// A file or folder. Relative paths resolve against the config file's folder (values from the
/// file) or the current directory (command line and defaults); the stored value is absolute.
public sealed class PathKind(string? requiredExtension = null) : ValueKind<string?>
{
    public override string TypeName => requiredExtension is null ? "path" : $"path (*{requiredExtension})";

    public override string? Read(YamlNode node, ValueContext context)
    {
        if (Nodes.IsNone(node)) return null;
        string text = Nodes.Scalar(node, context, "a path");
        if (text.Trim().Length == 0) throw context.Error(node, "expected a path, got an empty text");
        if (requiredExtension is not null && !text.EndsWith(requiredExtension, StringComparison.OrdinalIgnoreCase))
            throw context.Error(node, $"must be a {requiredExtension} file, got '{text}'");
        return Path.GetFullPath(text, context.BaseDirectory);
    }

    public override YamlNode Write(string? value) => value is null ? Scalars.Null() : Scalars.Quoted(value);
}

/// A value that may also be None (unset).
public sealed class OptionalKind<T>(ValueKind<T> inner) : ValueKind<T?> where T : struct
{
    public override string TypeName => inner.TypeName + " | None";

    public override T? Read(YamlNode node, ValueContext context) => Nodes.IsNone(node) ? null : inner.Read(node, context);

    public override YamlNode Write(T? value) => value is T v ? inner.Write(v) : Scalars.Null();
}
