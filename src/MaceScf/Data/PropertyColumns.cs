namespace MaceScf.Data;

/// Column types of the Properties key: S string, R real, I integer, L logical.
internal enum ColumnType
{
    String,
    Real,
    Integer,
    Logical,
}

/// One entry of Properties=name:type:width.
internal sealed record PropertyColumn(string Name, ColumnType Type, int Width)
{
    public char TypeLetter => Type switch
    {
        ColumnType.String => 'S',
        ColumnType.Real => 'R',
        ColumnType.Integer => 'I',
        _ => 'L',
    };

    public override string ToString() => $"{Name}:{TypeLetter}:{Width}";
}

/// Parses and formats the Properties value.
internal static class PropertyColumns
{
    public const string Default = "species:S:1:pos:R:3";

    public static IReadOnlyList<PropertyColumn> Parse(string text)
    {
        var fields = text.Split(':');
        if (fields.Length % 3 != 0)
            throw new ExtXyzSyntaxError($"Properties '{text}' has {fields.Length} ':'-separated fields; expected name:type:width triples");
        var columns = new List<PropertyColumn>(fields.Length / 3);
        for (int i = 0; i < fields.Length; i += 3)
        {
            string name = fields[i];
            if (name.Length == 0) throw new ExtXyzSyntaxError($"Properties '{text}' has an empty property name");
            var type = fields[i + 1] switch
            {
                "S" => ColumnType.String,
                "R" => ColumnType.Real,
                "I" => ColumnType.Integer,
                "L" => ColumnType.Logical,
                _ => throw new ExtXyzSyntaxError(
                    $"Properties entry '{name}' has unknown type letter '{fields[i + 1]}' (expected S, R, I or L)"),
            };
            if (!int.TryParse(fields[i + 2], out int width) || width < 1)
                throw new ExtXyzSyntaxError($"Properties entry '{name}' has width '{fields[i + 2]}' (expected a positive integer)");
            if (columns.Any(c => c.Name == name))
                throw new ExtXyzSyntaxError($"Properties names '{name}' twice");
            columns.Add(new PropertyColumn(name, type, width));
        }
        return columns;
    }

    public static string Format(IEnumerable<PropertyColumn> columns) => string.Join(":", columns);
}
