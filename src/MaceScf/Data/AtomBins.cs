namespace MaceScf.Data;

/// Atoms wrapped into the cell along periodic directions and sorted into a grid of bins whose
/// width, measured perpendicular to the lattice planes, is at least the cutoff (a linked-cell grid).
/// Along a non-periodic direction the grid spans the atoms' bounding box.
internal sealed class AtomBins
{
    // Bins are made this fraction wider than the cutoff so rounding cannot make them narrower.
    private const double WidthMargin = 1e-8;

    public AtomBins(double[,] positions, SearchFrame frame, double cutoff)
    {
        int n = positions.GetLength(0);
        var fractional = new double[3][];
        var wraps = new int[3 * n];
        for (int k = 0; k < 3; k++)
        {
            fractional[k] = new double[n];
            for (int i = 0; i < n; i++)
            {
                double f = frame.Fractional(positions[i, 0], positions[i, 1], positions[i, 2], k);
                if (frame.Periodic[k])
                {
                    double image = Math.Floor(f);
                    wraps[3 * i + k] = checked((int)image);
                    f -= image;
                }
                fractional[k][i] = f;
            }
        }

        Counts = new int[3];
        Reach = new int[3];
        var origin = new double[3];
        var extent = new double[3];
        for (int k = 0; k < 3; k++)
        {
            if (frame.Periodic[k])
            {
                extent[k] = 1;
            }
            else
            {
                origin[k] = n == 0 ? 0 : fractional[k].Min();
                extent[k] = n == 0 ? 0 : fractional[k].Max() - origin[k];
            }
            double length = extent[k] * frame.PlaneSpacing[k];
            Counts[k] = (int)Math.Max(1, Math.Min(int.MaxValue / 4, Math.Floor(length / (cutoff * (1 + WidthMargin)))));
        }
        LimitBinCount(n);
        for (int k = 0; k < 3; k++)
        {
            double width = extent[k] * frame.PlaneSpacing[k] / Counts[k];
            Reach[k] = frame.Periodic[k]
                ? (int)Math.Ceiling(cutoff / width * (1 + WidthMargin / 100))
                : Math.Min(Counts[k] - 1, 1);
        }

        // Counting sort of atoms by bin.
        var binOfAtom = new int[n];
        BinOfAtom = binOfAtom;
        Start = new int[Counts[0] * Counts[1] * Counts[2] + 1];
        for (int i = 0; i < n; i++)
        {
            int bin = 0;
            for (int k = 0; k < 3; k++)
            {
                int index = extent[k] > 0 ? (int)Math.Floor((fractional[k][i] - origin[k]) / extent[k] * Counts[k]) : 0;
                bin = bin * Counts[k] + Math.Clamp(index, 0, Counts[k] - 1);
            }
            binOfAtom[i] = bin;
            Start[bin + 1]++;
        }
        for (int b = 0; b < Start.Length - 1; b++) Start[b + 1] += Start[b];

        Atoms = new int[n];
        Wrapped = new double[3 * n];
        Wraps = new int[3 * n];
        var fill = (int[])Start.Clone();
        var v = frame.Vectors;
        for (int i = 0; i < n; i++)
        {
            int slot = fill[binOfAtom[i]]++;
            Atoms[slot] = i;
            for (int d = 0; d < 3; d++)
            {
                double wrappedBy = wraps[3 * i] * v[0, d] + wraps[3 * i + 1] * v[1, d] + wraps[3 * i + 2] * v[2, d];
                Wrapped[3 * slot + d] = positions[i, d] - wrappedBy;
                Wraps[3 * slot + d] = wraps[3 * i + d];
            }
        }
    }

    /// Bins along each frame direction; bin (b0, b1, b2) has flat index (b0·Counts[1] + b1)·Counts[2] + b2.
    public int[] Counts { get; }

    /// How many bins away along each direction an atom within the cutoff can lie.
    public int[] Reach { get; }

    /// Atoms of bin b are Atoms[Start[b] .. Start[b+1]).
    public int[] Start { get; }

    /// Atom indices in bin order.
    public int[] Atoms { get; }

    /// Flat bin index of each atom.
    public int[] BinOfAtom { get; }

    /// Wrapped Cartesian position of the atom in each slot, flat [slot, 3].
    public double[] Wrapped { get; }

    /// Lattice translations removed by wrapping, per slot, flat [slot, 3]: original = wrapped + Wraps · cell.
    public int[] Wraps { get; }

    /// A sparse structure in a large cell would otherwise get far more bins than atoms; wider bins stay correct.
    private void LimitBinCount(int atomCount)
    {
        long limit = Math.Max(27L, 2L * atomCount);
        while ((long)Counts[0] * Counts[1] * Counts[2] > limit)
        {
            int widest = 0;
            for (int k = 1; k < 3; k++)
                if (Counts[k] > Counts[widest]) widest = k;
            Counts[widest] = Math.Max(1, Counts[widest] / 2);
        }
    }
}
