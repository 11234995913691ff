namespace MaceScf.Data;

/// <summary>
/// One atomic structure as read from a file: species, positions, optional cell, periodicity,
/// and every per-frame (info) and per-atom (arrays) value the file carried.
/// </summary>
public sealed class Configuration
{
    /// <summary>A structure without info or arrays values.</summary>
    /// <param name="atomicNumbers">[N] atomic numbers</param>
    /// <param name="positions">[N, 3] positions (Å)</param>
    /// <param name="cell">[3, 3] lattice vectors as rows (Å), or null without a Lattice</param>
    /// <param name="pbc">[3] periodicity along the lattice vectors</param>
    /// <exception cref="ArgumentException">the shapes do not match</exception>
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

    /// <summary>Atomic numbers Z, one per atom.</summary>
    public int[] AtomicNumbers { get; }

    /// <summary>Cartesian positions in Å, shape [N, 3].</summary>
    public double[,] Positions { get; }

    /// <summary>Lattice vectors as rows (ASE convention) in Å, or null when the frame has no Lattice.</summary>
    public double[,]? Cell { get; }

    /// <summary>Periodicity along each lattice vector.</summary>
    public bool[] Pbc { get; }

    /// <summary>Number of atoms.</summary>
    public int AtomCount => AtomicNumbers.Length;

    /// <summary>
    /// Per-frame values from the comment line (everything except Lattice, Properties and pbc), in
    /// file order. Values are double, long, bool, string, double[], long[], bool[], double[,],
    /// long[,] or, for JSON that has no simpler form, a System.Text.Json.Nodes.JsonNode.
    /// </summary>
    public OrderedDictionary<string, object> Info { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Per-atom columns other than species and positions, in file order. Width-1 columns are
    /// one-dimensional ([N]); wider columns are [N, k]. Element types: double, long, bool, string.
    /// </summary>
    public OrderedDictionary<string, Array> Arrays { get; } = new(StringComparer.Ordinal);

    /// <summary>
    /// Where the frame was read from (file path or a caller-given name); null when built in memory.
    /// </summary>
    public string? SourceName { get; init; }

    /// <summary>Zero-based index of the frame in its source; -1 when built in memory.</summary>
    public int FrameIndex { get; init; } = -1;

    /// <summary>One-based line of the frame's atom-count line in its source; 0 when built in memory.</summary>
    public long SourceLine { get; init; }

    /// <summary>"file, frame k" for error messages.</summary>
    public string DescribeOrigin() =>
        SourceName is null ? "in-memory configuration" : $"{SourceName}, frame {FrameIndex}";
}
