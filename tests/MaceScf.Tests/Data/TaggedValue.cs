using System.Text.Json.Nodes;

namespace MaceScf.Tests.Data;

/// A value as ase_interop.py describes it: element type, shape and row-major data. Two values are equal when type, shape
/// and every element are (doubles to the bit).
public sealed record TaggedValue(string Type, long[] Shape, object[] Data)
{
    public static TaggedValue FromJson(JsonNode node)
    {
        string type = node["type"]!.GetValue<string>();
        var shape = node["shape"]!.AsArray().Select(s => s!.GetValue<long>()).ToArray();
        var data = node["data"]!.AsArray().Select(v => type switch
        {
            "float" => (object)v!.GetValue<double>(),
            "int" => v!.GetValue<long>(),
            "bool" => v!.GetValue<bool>(),
            _ => v!.GetValue<string>(),
        }).ToArray();
        return new TaggedValue(type, shape, data);
    }

    /// One of our info values or per-atom arrays (scalars, vectors, matrices of double, long, int, bool, string).
    public static TaggedValue FromOurs(object value) => value switch
    {
        double d => new("float", [], [d]),
        long l => new("int", [], [l]),
        int i => new("int", [], [(long)i]),
        bool b => new("bool", [], [b]),
        string s => new("str", [], [s]),
        Array array => new(TypeName(array.GetType().GetElementType()!), Enumerable.Range(0, array.Rank).Select(r => (long)array.GetLength(r)).ToArray(),
            array.Cast<object>().Select(x => x is int i ? (long)i : x).ToArray()),
        _ => throw new ArgumentException($"no tagged form for {value.GetType()}"),
    };

    private static string TypeName(Type element) => element == typeof(double) ? "float"
        : element == typeof(long) || element == typeof(int) ? "int"
        : element == typeof(bool) ? "bool"
        : element == typeof(string) ? "str"
        : throw new ArgumentException($"no tagged form for {element}[]");

    /// Null when equal, else what differs.
    public string? Difference(TaggedValue other)
    {
        if (Type != other.Type) return $"type {Type} vs {other.Type}";
        if (!Shape.SequenceEqual(other.Shape)) return $"shape [{string.Join(",", Shape)}] vs [{string.Join(",", other.Shape)}]";
        for (int i = 0; i < Data.Length; i++)
        {
            bool same = Data[i] is double a && other.Data[i] is double b
                ? BitConverter.DoubleToInt64Bits(a) == BitConverter.DoubleToInt64Bits(b)
                : Equals(Data[i], other.Data[i]);
            if (!same) return $"element {i}: {Format(Data[i])} vs {Format(other.Data[i])}";
        }
        return null;
    }

    private static string Format(object value) => value is double d ? d.ToString("R") : $"'{value}'";
}
