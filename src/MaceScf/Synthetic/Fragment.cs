namespace MaceScf.Synthetic;

/// A rigid template of a molecule or cluster in its own frame: atoms, local positions (Å) and
/// bonded terms in local indices. <see cref="StructureBuilder"/> rotates, places and renumbers it.
internal sealed record Fragment(int[] AtomicNumbers, double[][] Positions, IReadOnlyList<Bond> Bonds, IReadOnlyList<BondAngle> Angles)
{
    public const double WaterBondLength = 0.9572, WaterAngleDegrees = 104.52;
    public const double WaterBondStiffness = 40.0, WaterAngleStiffness = 4.0;

    /// One atom (an ion).
    public static Fragment Atom(int atomicNumber) => new([atomicNumber], [[0, 0, 0]], [], []);

    /// A water molecule, O at the origin, with bond lengths and angle perturbed by up to ±0.05 Å
    /// and ±8° around the reference of its bonded terms.
    public static Fragment Water(Random random)
    {
        double r1 = WaterBondLength + RandomGeometry.Uniform(random, -0.05, 0.05);
        double r2 = WaterBondLength + RandomGeometry.Uniform(random, -0.05, 0.05);
        double half = (WaterAngleDegrees + RandomGeometry.Uniform(random, -8, 8)) * Math.PI / 360;
        double cos0 = Math.Cos(WaterAngleDegrees * Math.PI / 180);
        return new Fragment(
            [8, 1, 1],
            [[0, 0, 0], [r1 * Math.Sin(half), 0, r1 * Math.Cos(half)], [-r2 * Math.Sin(half), 0, r2 * Math.Cos(half)]],
            [new Bond(0, 1, WaterBondLength, WaterBondStiffness), new Bond(0, 2, WaterBondLength, WaterBondStiffness)],
            [new BondAngle(1, 0, 2, cos0, WaterAngleStiffness)]);
    }

    /// A four-atom metal cluster: a regular tetrahedron of the given edge with every atom displaced
    /// by up to ±0.15 Å, held together by harmonic bonds (stiffness 0.5 eV/Å²) of the regular edge.
    public static Fragment Tetrahedron(Random random, int atomicNumber, double edge)
    {
        double s = edge / (2 * Math.Sqrt(2));
        int[][] signs = [[1, 1, 1], [1, -1, -1], [-1, 1, -1], [-1, -1, 1]];
        var positions = signs.Select(v => v.Select(c => s * c + RandomGeometry.Uniform(random, -0.15, 0.15)).ToArray()).ToArray();
        var bonds = new List<Bond>();
        for (int i = 0; i < 4; i++)
            for (int j = i + 1; j < 4; j++) bonds.Add(new Bond(i, j, edge, 0.5));
        return new Fragment([atomicNumber, atomicNumber, atomicNumber, atomicNumber], positions, bonds, []);
    }

    /// The same fragment with its local positions rotated by R (applied as R·r).
    public Fragment Rotated(double[,] rotation) => this with
    {
        Positions = Positions.Select(r => Enumerable.Range(0, 3).Select(a => rotation[a, 0] * r[0] + rotation[a, 1] * r[1] + rotation[a, 2] * r[2]).ToArray()).ToArray(),
    };
}
