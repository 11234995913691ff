namespace MaceScf.Data;

/// One atomic structure as read from a file: species, positions, optional cell, periodicity,
/// and every per-frame (info) and per-atom (arrays) value the file carried.
public sealed class Configuration
{
    public Configuration(int[] atomicNumbers, double[,] positions, double[,]? cell, bool[] pbc)
    {
        if (positions.GetLength(0) != atomicNumbers.Length || positions.GetLength(1) != 3)
            throw new ArgumentException($"positions must be [{atomicNumbers.Length}, 3], got [{positions.GetLength(0)}, {positions.GetLength(1)}]");
        if (cell is not null && (cell.GetLength(0) != 3 || cell.GetLength(1) != 3))
            throw new ArgumentException("cell must be 3x3 (rows are lattice vectors)");
        if (pbc.Length != 3) throw new ArgumentException("pbc must have three flags");
        AtomicNumbers = atomicNumbers;
        Positions = positions;
        Cell = cell;
        Pbc = pbc;
    }

    /// Atomic numbers Z, one per atom.
    public int[] AtomicNumbers { get; }

    /// Cartesian positions in Å, shape [N, 3].
    public double[,] Positions { get; }

    /// Lattice vectors as rows (ASE convention) in Å, or null when the frame has no Lattice.
    public double[,]? Cell { get; }

    /// Periodicity along each lattice vector.
    public bool[] Pbc { get; }

    public int AtomCount => AtomicNumbers.Length;

    /// Per-frame values from the comment line (everything except Lattice, Properties and pbc), in
    /// file order. Values are double, long, bool, string, double[], long[], bool[], double[,],
    /// long[,] or, for JSON that has no simpler form, a System.Text.Json.Nodes.JsonNode.
    public OrderedDictionary<string, object> Info { get; } = new(StringComparer.Ordinal);

    /// Per-atom columns other than species and positions, in file order. Width-1 columns are
    /// one-dimensional ([N]); wider columns are [N, k]. Element types: double, long, bool, string.
    public OrderedDictionary<string, Array> Arrays { get; } = new(StringComparer.Ordinal);

    /// Where the frame was read from (file path or a caller-given name); null when built in memory.
    public string? SourceName { get; init; }

    /// Zero-based index of the frame in its source; -1 when built in memory.
    public int FrameIndex { get; init; } = -1;

    /// One-based line of the frame's atom-count line in its source; 0 when built in memory.
    public long SourceLine { get; init; }

    /// "file, frame k" for error messages.
    public string DescribeOrigin() =>
        SourceName is null ? "in-memory configuration" : $"{SourceName}, frame {FrameIndex}";
}
