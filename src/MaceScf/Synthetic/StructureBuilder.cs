namespace MaceScf.Synthetic;

/// Assembles fragments into a structure in an orthorhombic cell, rejecting placements that come
/// too close to atoms already placed (minimum image along periodic directions): 2.4 Å between two
/// non-hydrogen atoms, 1.7 Å otherwise.
internal sealed class StructureBuilder(double[] cellLengths, bool[] pbc)
{
    public const double HeavyAtomDistance = 2.4, MinimumDistance = 1.7;

    /// Random placements tried per fragment before giving up.
    public const int Attempts = 2000;

    readonly List<int> _atomicNumbers = [];
    readonly List<double[]> _positions = [];
    readonly List<int> _molecules = [];
    readonly List<Bond> _bonds = [];
    readonly List<BondAngle> _angles = [];
    int _moleculeCount;

    public double[] CellLengths { get; } = cellLengths;

    /// Places the fragment rotated by R and translated to the point <paramref name="place"/>
    /// draws, retrying until it fits; throws if it does not fit after <see cref="Attempts"/> tries.
    public void Add(Random random, Fragment fragment, Func<Random, double[]> place, bool rotate = true)
    {
        for (int attempt = 0; attempt < Attempts; attempt++)
        {
            var rotation = rotate ? RandomGeometry.Rotation(random) : null;
            var centre = place(random);
            var atoms = fragment.Positions.Select(r => Transform(rotation, r, centre)).ToArray();
            if (Fits(fragment.AtomicNumbers, atoms))
            {
                Append(fragment, atoms);
                return;
            }
        }
        throw new InvalidOperationException($"could not place fragment {_moleculeCount} without overlaps after {Attempts} attempts; the region is too crowded");
    }

    public SyntheticStructure Build(ElectronConstraint constraint, double[] externalField, double[] dipoleWeights)
    {
        var positions = new double[_positions.Count, 3];
        for (int i = 0; i < _positions.Count; i++)
            for (int d = 0; d < 3; d++) positions[i, d] = _positions[i][d];
        return new SyntheticStructure
        {
            AtomicNumbers = [.. _atomicNumbers],
            Positions = positions,
            Cell = new double[,] { { CellLengths[0], 0, 0 }, { 0, CellLengths[1], 0 }, { 0, 0, CellLengths[2] } },
            Pbc = [.. pbc],
            Molecules = [.. _molecules],
            Bonds = [.. _bonds],
            Angles = [.. _angles],
            ExternalField = externalField,
            Constraint = constraint,
            DipoleWeights = dipoleWeights,
        };
    }

    static double[] Transform(double[,]? rotation, double[] r, double[] centre)
    {
        var result = (double[])centre.Clone();
        for (int a = 0; a < 3; a++)
            for (int b = 0; b < 3; b++) result[a] += (rotation is null ? (a == b ? 1 : 0) : rotation[a, b]) * r[b];
        return result;
    }

    bool Fits(int[] atomicNumbers, double[][] atoms)
    {
        for (int k = 0; k < atoms.Length; k++)
            for (int i = 0; i < _positions.Count; i++)
            {
                double limit = atomicNumbers[k] != 1 && _atomicNumbers[i] != 1 ? HeavyAtomDistance : MinimumDistance;
                if (Distance(atoms[k], _positions[i]) < limit) return false;
            }
        return true;
    }

    double Distance(double[] a, double[] b)
    {
        double sum = 0;
        for (int d = 0; d < 3; d++)
        {
            double delta = a[d] - b[d];
            if (pbc[d]) delta -= CellLengths[d] * Math.Round(delta / CellLengths[d]);
            sum += delta * delta;
        }
        return Math.Sqrt(sum);
    }

    void Append(Fragment fragment, double[][] atoms)
    {
        int offset = _atomicNumbers.Count;
        _atomicNumbers.AddRange(fragment.AtomicNumbers);
        _positions.AddRange(atoms);
        _molecules.AddRange(Enumerable.Repeat(_moleculeCount++, atoms.Length));
        _bonds.AddRange(fragment.Bonds.Select(b => b with { I = b.I + offset, J = b.J + offset }));
        _angles.AddRange(fragment.Angles.Select(a => a with { I = a.I + offset, J = a.J + offset, K = a.K + offset }));
    }
}
