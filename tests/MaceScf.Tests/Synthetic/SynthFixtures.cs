using MaceScf.Synthetic;

namespace MaceScf.Tests.Synthetic;

/// Shared helpers for the teacher and generator tests.
static class SynthFixtures
{
    public static readonly TeacherModel Teacher = new(new TeacherParameters());

    public static SyntheticStructure Structure(string system, int seed) =>
        SyntheticSystems.Find(system)!.Generate(new Random(seed));

    public static SyntheticStructure Moved(SyntheticStructure structure, int atom, int axis, double delta)
    {
        var positions = (double[,])structure.Positions.Clone();
        positions[atom, axis] += delta;
        return structure with { Positions = positions };
    }

    public static double[] Column(double[,] values, int column) =>
        Enumerable.Range(0, values.GetLength(0)).Select(i => values[i, column]).ToArray();

    /// Cartesian vector of row i of a [N, 3] array, or of the dipole (p_y, p_z, p_x) → (x, y, z) of a multipole row.
    public static double[] Row(double[,] values, int i) => [values[i, 0], values[i, 1], values[i, 2]];

    public static double[] Dipole(double[,] multipoles, int i) => [multipoles[i, 3], multipoles[i, 1], multipoles[i, 2]];

    public static double[] Rotate(double[,] rotation, double[] v) =>
        Enumerable.Range(0, 3).Select(a => rotation[a, 0] * v[0] + rotation[a, 1] * v[1] + rotation[a, 2] * v[2]).ToArray();

    public static double MaxDifference(double[] a, double[] b) => a.Zip(b, (x, y) => Math.Abs(x - y)).Max();
}
