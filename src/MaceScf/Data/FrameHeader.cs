namespace MaceScf.Data;

/// What a comment line says about its frame: cell, periodicity, column layout and info values.
internal sealed class FrameHeader
{
    private FrameHeader(double[,]? cell, bool[] pbc, IReadOnlyList<PropertyColumn> columns, List<KeyValuePair<string, object>> info)
    {
        Cell = cell;
        Pbc = pbc;
        Columns = columns;
        Info = info;
    }

    public double[,]? Cell { get; }
    public bool[] Pbc { get; }
    public IReadOnlyList<PropertyColumn> Columns { get; }
    public List<KeyValuePair<string, object>> Info { get; }

    /// Parses a comment line. pbc defaults as in ASE: T T T with a Lattice, F F F without.
    public static FrameHeader Parse(string commentLine)
    {
        double[,]? cell = null;
        bool[]? pbc = null;
        string properties = PropertyColumns.Default;
        var info = new List<KeyValuePair<string, object>>();
        foreach (var (key, raw) in CommentLineTokenizer.Tokenize(commentLine))
        {
            switch (key)
            {
                case "Lattice":
                    cell = ParseLattice(raw);
                    break;
                case "pbc":
                    pbc = ParsePbc(raw);
                    break;
                case "Properties":
                    properties = raw ?? throw new ExtXyzSyntaxError("Properties has no value (expected e.g. Properties=species:S:1:pos:R:3)");
                    break;
                default:
                    info.RemoveAll(p => p.Key == key);
                    info.Add(new(key, InfoValueParser.Parse(raw)));
                    break;
            }
        }
        var columns = PropertyColumns.Parse(properties);
        CheckRequiredColumns(columns);
        return new FrameHeader(cell, pbc ?? [cell is not null, cell is not null, cell is not null], columns, info);
    }

    private static double[,] ParseLattice(string? raw)
    {
        var value = InfoValueParser.Parse(raw);
        double[]? numbers = value switch
        {
            double[] d => d,
            long[] l => l.Select(x => (double)x).ToArray(),
            _ => null,
        };
        if (numbers is null || numbers.Length != 9)
            throw new ExtXyzSyntaxError($"Lattice=\"{raw}\" must hold 9 numbers (three lattice vectors), found {CountDescription(value)}");
        var cell = new double[3, 3];
        for (int i = 0; i < 9; i++) cell[i / 3, i % 3] = numbers[i];
        return cell;
    }

    private static string CountDescription(object value) => value switch
    {
        Array a => $"{a.Length} numbers",
        double or long => "1 number",
        _ => "text that is not a list of numbers",
    };

    private static bool[] ParsePbc(string? raw)
    {
        return InfoValueParser.Parse(raw) switch
        {
            bool b => [b, b, b],
            bool[] { Length: 3 } flags => flags,
            _ => throw new ExtXyzSyntaxError($"pbc=\"{raw}\" must be three logicals such as \"T T F\""),
        };
    }

    private static void CheckRequiredColumns(IReadOnlyList<PropertyColumn> columns)
    {
        var pos = columns.FirstOrDefault(c => c.Name == "pos");
        if (pos is null) throw new ExtXyzSyntaxError("Properties has no pos column (expected pos:R:3)");
        if (pos.Type != ColumnType.Real || pos.Width != 3)
            throw new ExtXyzSyntaxError($"Properties declares {pos} (expected pos:R:3)");
        var species = columns.FirstOrDefault(c => c.Name == "species");
        if (species is not null && (species.Type != ColumnType.String || species.Width != 1))
            throw new ExtXyzSyntaxError($"Properties declares {species} (expected species:S:1)");
        var z = columns.FirstOrDefault(c => c.Name == "Z");
        if (species is null && z is null)
            throw new ExtXyzSyntaxError("Properties has neither a species:S:1 nor a Z:I:1 column, so the elements are unknown");
        if (species is null && (z!.Type != ColumnType.Integer || z.Width != 1))
            throw new ExtXyzSyntaxError($"Properties declares {z} (expected Z:I:1)");
    }
}
