namespace MaceScf.Data;

/// All ordered pairs (sender, receiver, S) with |pos[receiver] − pos[sender] + S·cell| &lt; cutoff
/// (strict, as matscipy's neighbour_list("ijS")), S an integer lattice translation that is zero along
/// non-periodic directions. Both directions of every pair are present, and periodic self-images
/// (sender == receiver, S ≠ 0) are kept; only the zero-distance self-edge is left out.
/// Shifts refer to the positions as given, not wrapped into the cell.
internal sealed class NeighbourList
{
    internal NeighbourList(int atomCount, double cutoff, int[] senders, int[] receivers, int[,] unitShifts, double[] distances)
    {
        AtomCount = atomCount;
        Cutoff = cutoff;
        Senders = senders;
        Receivers = receivers;
        UnitShifts = unitShifts;
        Distances = distances;
    }

    public int AtomCount { get; }

    public double Cutoff { get; }

    /// Neighbour j of each edge (edge_index[0]). Edges come grouped by sender in an unspecified order.
    public int[] Senders { get; }

    /// Centre i of each edge (edge_index[1]).
    public int[] Receivers { get; }

    /// Integer lattice translation S per edge, [E, 3].
    public int[,] UnitShifts { get; }

    /// Edge length |pos[receiver] − pos[sender] + S·cell| in Å.
    public double[] Distances { get; }

    public int EdgeCount => Senders.Length;

    /// As <see cref="Build(double[,], double[,], bool[], double)"/>, with the file and frame in any error.
    public static NeighbourList Build(Configuration configuration, double cutoff)
    {
        try
        {
            return Build(configuration.Positions, configuration.Cell, configuration.Pbc, cutoff);
        }
        catch (ArgumentException e) when (configuration.SourceName is not null)
        {
            throw new ArgumentException($"{configuration.DescribeOrigin()}: {e.Message}", e);
        }
    }

    /// Largest neighbour list built (pairs, about 28 bytes each here and a few hundred in a model's graph).
    public const double MaxEdges = 2e8;

    /// Linked-cell search, O(N) for a fixed density. cell rows are lattice vectors and may be null
    /// (or zero, or degenerate) along non-periodic directions.
    public static NeighbourList Build(double[,] positions, double[,]? cell, bool[] pbc, double cutoff)
    {
        if (!double.IsFinite(cutoff) || cutoff <= 0)
            throw new ArgumentException($"cutoff must be positive and finite, got {cutoff}", nameof(cutoff));
        if (positions.GetLength(1) != 3)
            throw new ArgumentException($"positions must be [N, 3], got [{positions.GetLength(0)}, {positions.GetLength(1)}]", nameof(positions));
        for (int i = 0; i < positions.GetLength(0); i++)
            for (int d = 0; d < 3; d++)
                if (!double.IsFinite(positions[i, d]))
                    throw new ArgumentException($"position of atom {i} is not finite", nameof(positions));

        var frame = SearchFrame.Create(cell, pbc);
        RequireBoundedSize(positions, frame, cutoff);
        var bins = new AtomBins(positions, frame, cutoff);
        var edges = new EdgeBuffer(EstimateEdgeCount(positions.GetLength(0), cell, pbc, cutoff));
        Search(frame, bins, cutoff, edges);
        return edges.ToNeighbourList(positions.GetLength(0), cutoff);
    }

    /// Refuses, before the search, a list whose expected size is unbounded in practice: a periodic cell much smaller than the
    /// cutoff has (r/width)³ images of every atom within reach (a 0.001 Å cell and r = 4 Å: 6·10¹⁰ per atom). The estimate
    /// counts the atoms in a box of side 2r around each atom: N per atom, times 2r/width along each periodic direction and
    /// min(1, 2r/extent) along each open one.
    private static void RequireBoundedSize(double[,] positions, SearchFrame frame, double cutoff)
    {
        int n = positions.GetLength(0);
        double perAtom = n;
        for (int k = 0; k < 3; k++)
        {
            if (frame.Periodic[k])
            {
                perAtom *= 2 * cutoff / frame.PlaneSpacing[k];
                continue;
            }
            double low = double.PositiveInfinity, high = double.NegativeInfinity;
            for (int i = 0; i < n; i++)
            {
                double f = frame.Fractional(positions[i, 0], positions[i, 1], positions[i, 2], k) * frame.PlaneSpacing[k];
                low = Math.Min(low, f);
                high = Math.Max(high, f);
            }
            if (high > low) perAtom *= Math.Min(1, 2 * cutoff / (high - low));
        }
        double edges = n * perAtom;
        if (edges > MaxEdges)
            throw new ArgumentException($"the neighbour list within {cutoff} Å would hold about {edges:G3} pairs ({perAtom:G3} per atom; the "
                + $"cell's smallest periodic width is {Enumerable.Range(0, 3).Where(k => frame.Periodic[k]).Select(k => frame.PlaneSpacing[k]).DefaultIfEmpty(double.NaN).Min():G3} Å): "
                + "check the Lattice (is it in Å?) or use a smaller cutoff");
    }

    /// Expected edges of a fully periodic structure at uniform density, N²·(4π/3)r³/V, so the buffer
    /// rarely grows; otherwise a small start.
    private static int EstimateEdgeCount(int atomCount, double[,]? cell, bool[] pbc, double cutoff)
    {
        const int smallStart = 1024;
        if (cell is null || !pbc.All(p => p)) return smallStart;
        double volume = Math.Abs(CellVolume.Of(cell));
        double expected = 1.05 * atomCount * (double)atomCount * 4 * Math.PI / 3 * cutoff * cutoff * cutoff / volume;
        return (int)Math.Clamp(expected, smallStart, Array.MaxLength / 3);
    }

    /// Visits centres in bin order, so that consecutive centres share neighbour bins in cache.
    private static void Search(SearchFrame frame, AtomBins bins, double cutoff, EdgeBuffer edges)
    {
        int[] counts = bins.Counts, reach = bins.Reach, start = bins.Start, atoms = bins.Atoms, wraps = bins.Wraps;
        bool[] periodic = frame.Periodic;
        double[] p = bins.Wrapped;
        double[,] v = frame.Vectors;
        double cutoffSquared = cutoff * cutoff;

        for (int a = 0; a < atoms.Length; a++)
        {
            int sender = atoms[a];
            int bin = bins.BinOfAtom[sender];
            int c2 = bin % counts[2], c1 = bin / counts[2] % counts[1], c0 = bin / counts[2] / counts[1];
            for (int o0 = -reach[0]; o0 <= reach[0]; o0++)
            {
                if (!Resolve(c0 + o0, counts[0], periodic[0], out int t0, out int s0)) continue;
                for (int o1 = -reach[1]; o1 <= reach[1]; o1++)
                {
                    if (!Resolve(c1 + o1, counts[1], periodic[1], out int t1, out int s1)) continue;
                    for (int o2 = -reach[2]; o2 <= reach[2]; o2++)
                    {
                        if (!Resolve(c2 + o2, counts[2], periodic[2], out int t2, out int s2)) continue;
                        int targetBin = (t0 * counts[1] + t1) * counts[2] + t2;
                        bool sameImage = s0 == 0 && s1 == 0 && s2 == 0;
                        // Sender position minus the image translation of the receiver's bin.
                        double ax = p[3 * a] - (s0 * v[0, 0] + s1 * v[1, 0] + s2 * v[2, 0]);
                        double ay = p[3 * a + 1] - (s0 * v[0, 1] + s1 * v[1, 1] + s2 * v[2, 1]);
                        double az = p[3 * a + 2] - (s0 * v[0, 2] + s1 * v[1, 2] + s2 * v[2, 2]);
                        for (int c = start[targetBin]; c < start[targetBin + 1]; c++)
                        {
                            double dx = p[3 * c] - ax, dy = p[3 * c + 1] - ay, dz = p[3 * c + 2] - az;
                            double d2 = dx * dx + dy * dy + dz * dz;
                            if (d2 >= cutoffSquared || (sameImage && a == c)) continue;
                            // Receiver c sits at its wrapped position translated by (s0, s1, s2); refer
                            // the translation back to the unwrapped positions of both atoms.
                            edges.Add(sender, atoms[c],
                                s0 - wraps[3 * c] + wraps[3 * a],
                                s1 - wraps[3 * c + 1] + wraps[3 * a + 1],
                                s2 - wraps[3 * c + 2] + wraps[3 * a + 2],
                                Math.Sqrt(d2));
                        }
                    }
                }
            }
        }
    }

    /// Bin index along one direction for an unbounded grid position, and the lattice image it lies in;
    /// false when the position leaves the grid along a non-periodic direction.
    private static bool Resolve(int position, int count, bool periodic, out int bin, out int image)
    {
        if (!periodic)
        {
            bin = position;
            image = 0;
            return position >= 0 && position < count;
        }
        image = position >= 0 ? position / count : -((count - 1 - position) / count);
        bin = position - image * count;
        return true;
    }
}
