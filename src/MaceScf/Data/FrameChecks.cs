using System.Text.Json.Nodes;

namespace MaceScf.Data;

/// The checks every command that computes on a frame makes before using it (docs/errors.md): the frame has atoms, and
/// its positions, cell and every number it carries (info and arrays) are finite. Each refusal names the file, the frame,
/// the key and the atom, and says what to do. `inspect` reports such frames instead of refusing them.
internal static class FrameChecks
{
    /// Throws an <see cref="InvalidDataException"/> for a frame without atoms or with a non-finite number.
    public static void RequireUsable(Configuration frame)
    {
        if (frame.AtomCount == 0)
            throw new InvalidDataException($"{frame.DescribeOrigin()}: the frame has no atoms; remove it (eval, coulomb, train and ipi "
                + "refuse frames without atoms)");
        RequireFinite(frame);
        if (frame.Cell is null && frame.Pbc.Any(p => p))
            throw new InvalidDataException($"{frame.DescribeOrigin()}: pbc=\"{string.Join(" ", frame.Pbc.Select(p => p ? "T" : "F"))}\" says the "
                + "frame is periodic, but it has no Lattice; add the Lattice, or set pbc=\"F F F\" for a finite system");
        for (int atom = 0; atom < frame.AtomCount; atom++)
            for (int k = 0; k < 3; k++)
                if (Math.Abs(frame.Positions[atom, k]) > MaxCoordinate)
                    throw new InvalidDataException($"{frame.DescribeOrigin()}: the position of atom {atom} ({frame.Positions[atom, k]:G6} Å) is "
                        + $"beyond ±{MaxCoordinate:G3} Å, where the electrostatics overflows; fix or remove the frame");
        if (frame.Cell is { } cell && cell.Cast<double>().Any(x => Math.Abs(x) > MaxCoordinate))
            throw new InvalidDataException($"{frame.DescribeOrigin()}: the Lattice has an entry beyond ±{MaxCoordinate:G3} Å; fix or remove the frame");
    }

    /// Coordinates and cell entries larger than this (Å, 1 cm) are refused: no structure is that large, and squares of
    /// such numbers overflow in the electrostatics.
    public const double MaxCoordinate = 1e8;

    /// Throws an <see cref="InvalidDataException"/> naming the first non-finite position, cell entry, info or array value.
    public static void RequireFinite(Configuration frame)
    {
        if (FirstNonFinite(frame) is { } problem)
            throw new InvalidDataException($"{frame.DescribeOrigin()}: {problem} is not finite; fix or remove the frame");
    }

    /// "position of atom 3 (y) = NaN", "info 'energy' = Infinity", "array 'forces' of atom 2 = NaN", or null.
    public static string? FirstNonFinite(Configuration frame)
    {
        string[] axes = ["x", "y", "z"];
        for (int atom = 0; atom < frame.AtomCount; atom++)
            for (int k = 0; k < 3; k++)
                if (!double.IsFinite(frame.Positions[atom, k])) return $"the position of atom {atom} ({axes[k]} = {frame.Positions[atom, k]})";
        if (frame.Cell is { } cell)
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++)
                    if (!double.IsFinite(cell[i, j])) return $"the Lattice (vector {i + 1}, {axes[j]} = {cell[i, j]})";
        foreach (var (key, value) in frame.Info)
            if (NonFinite(value) is { } bad) return $"info '{key}' ({bad})";
        foreach (var (key, array) in frame.Arrays)
        {
            if (array is double[] column)
            {
                for (int atom = 0; atom < column.Length; atom++)
                    if (!double.IsFinite(column[atom])) return $"array '{key}' of atom {atom} ({column[atom]})";
            }
            else if (array is double[,] rows)
            {
                for (int atom = 0; atom < rows.GetLength(0); atom++)
                    for (int c = 0; c < rows.GetLength(1); c++)
                        if (!double.IsFinite(rows[atom, c])) return $"array '{key}' of atom {atom} (column {c} = {rows[atom, c]})";
            }
        }
        return null;
    }

    static string? NonFinite(object value) => value switch
    {
        double d => double.IsFinite(d) ? null : d.ToString(),
        double[] v => Array.FindIndex(v, x => !double.IsFinite(x)) is var i and >= 0 ? $"component {i} = {v[i]}" : null,
        double[,] m => m.Cast<double>().Any(x => !double.IsFinite(x)) ? $"an entry = {m.Cast<double>().First(x => !double.IsFinite(x))}" : null,
        JsonNode => null,
        _ => null,
    };
}
