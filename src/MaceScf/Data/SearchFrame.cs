namespace MaceScf.Data;

/// The frame in which the neighbour search bins atoms: the periodic lattice vectors as given, and
/// in place of each non-periodic one a unit vector orthogonal to every other row, so the frame is
/// invertible even when the structure has no cell or a flat one. Along a non-periodic direction the
/// fractional coordinate is then a length in Å and no image is ever taken.
internal sealed class SearchFrame
{
    // Relative tolerance below which periodic lattice vectors count as linearly dependent.
    private const double DegeneracyTolerance = 1e-10;

    private SearchFrame(double[,] vectors, bool[] periodic)
    {
        Vectors = vectors;
        Periodic = periodic;
        Inverse = Invert(vectors);
        PlaneSpacing = new double[3];
        for (int k = 0; k < 3; k++)
        {
            double norm = Math.Sqrt(Inverse[0, k] * Inverse[0, k] + Inverse[1, k] * Inverse[1, k] + Inverse[2, k] * Inverse[2, k]);
            PlaneSpacing[k] = 1.0 / norm;
        }
    }

    /// Rows are the frame vectors; x = f · Vectors for fractional coordinates f.
    public double[,] Vectors { get; }

    /// f = x · Inverse.
    public double[,] Inverse { get; }

    /// Distance between neighbouring lattice planes f_k = c and f_k = c + 1, in Å.
    public double[] PlaneSpacing { get; }

    public bool[] Periodic { get; }

    public double Fractional(double x, double y, double z, int k) =>
        x * Inverse[0, k] + y * Inverse[1, k] + z * Inverse[2, k];

    public static SearchFrame Create(double[,]? cell, bool[] pbc)
    {
        if (pbc.Length != 3) throw new ArgumentException($"pbc must have three flags, got {pbc.Length}", nameof(pbc));
        if (cell is not null)
        {
            if (cell.GetLength(0) != 3 || cell.GetLength(1) != 3)
                throw new ArgumentException("cell must be 3x3 with lattice vectors as rows", nameof(cell));
            foreach (double v in cell)
                if (!double.IsFinite(v)) throw new ArgumentException("cell contains a non-finite value", nameof(cell));
        }

        var periodic = (bool[])pbc.Clone();
        var rows = new double[3][];
        var periodicRows = new List<int>();
        for (int k = 0; k < 3; k++)
        {
            if (!periodic[k]) continue;
            if (cell is null)
                throw new ArgumentException($"pbc is periodic along lattice direction {k} but the structure has no cell", nameof(cell));
            rows[k] = [cell[k, 0], cell[k, 1], cell[k, 2]];
            if (Norm(rows[k]) == 0)
                throw new ArgumentException($"lattice vector {k} is zero but pbc is periodic along it", nameof(cell));
            periodicRows.Add(k);
        }

        var fill = Complement(periodicRows.Select(k => rows[k]).ToArray());
        int next = 0;
        for (int k = 0; k < 3; k++)
            if (!periodic[k]) rows[k] = fill[next++];

        var vectors = new double[3, 3];
        for (int k = 0; k < 3; k++)
            for (int d = 0; d < 3; d++)
                vectors[k, d] = rows[k][d];
        return new SearchFrame(vectors, periodic);
    }

    /// Orthonormal vectors spanning the orthogonal complement of the given periodic lattice vectors.
    private static double[][] Complement(double[][] lattice)
    {
        switch (lattice.Length)
        {
            case 0:
                return [[1, 0, 0], [0, 1, 0], [0, 0, 1]];
            case 1:
            {
                var a = lattice[0];
                // Cross with the Cartesian axis least aligned with a, for a well-conditioned result.
                int axis = 0;
                for (int d = 1; d < 3; d++)
                    if (Math.Abs(a[d]) < Math.Abs(a[axis])) axis = d;
                var e = new double[3];
                e[axis] = 1;
                var u = Normalise(Cross(a, e));
                var v = Normalise(Cross(a, u));
                return [u, v];
            }
            case 2:
            {
                var n = Cross(lattice[0], lattice[1]);
                if (Norm(n) <= DegeneracyTolerance * Norm(lattice[0]) * Norm(lattice[1]))
                    throw new ArgumentException("the two periodic lattice vectors are parallel (degenerate cell)", "cell");
                return [Normalise(n)];
            }
            default:
            {
                double volume = Dot(lattice[0], Cross(lattice[1], lattice[2]));
                if (Math.Abs(volume) <= DegeneracyTolerance * Norm(lattice[0]) * Norm(lattice[1]) * Norm(lattice[2]))
                    throw new ArgumentException("the three periodic lattice vectors are coplanar (degenerate cell)", "cell");
                return [];
            }
        }
    }

    private static double[,] Invert(double[,] m)
    {
        double c00 = m[1, 1] * m[2, 2] - m[1, 2] * m[2, 1];
        double c01 = m[1, 2] * m[2, 0] - m[1, 0] * m[2, 2];
        double c02 = m[1, 0] * m[2, 1] - m[1, 1] * m[2, 0];
        double det = m[0, 0] * c00 + m[0, 1] * c01 + m[0, 2] * c02;
        return new double[,]
        {
            { c00 / det, (m[0, 2] * m[2, 1] - m[0, 1] * m[2, 2]) / det, (m[0, 1] * m[1, 2] - m[0, 2] * m[1, 1]) / det },
            { c01 / det, (m[0, 0] * m[2, 2] - m[0, 2] * m[2, 0]) / det, (m[0, 2] * m[1, 0] - m[0, 0] * m[1, 2]) / det },
            { c02 / det, (m[0, 1] * m[2, 0] - m[0, 0] * m[2, 1]) / det, (m[0, 0] * m[1, 1] - m[0, 1] * m[1, 0]) / det },
        };
    }

    private static double[] Cross(double[] a, double[] b) =>
        [a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0]];

    private static double Dot(double[] a, double[] b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

    private static double Norm(double[] a) => Math.Sqrt(Dot(a, a));

    private static double[] Normalise(double[] a)
    {
        double n = Norm(a);
        return [a[0] / n, a[1] / n, a[2] / n];
    }
}
