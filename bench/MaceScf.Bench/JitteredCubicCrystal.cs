using MaceScf.Data;

namespace MaceScf.Bench;

/// A periodic simple-cubic crystal of n³ atoms (spacing 2.5 Å, each atom jittered by up to ±0.1 Å with a fixed seed),
/// the benchmark geometry of the MACE and fixed-point timings.
public static class JitteredCubicCrystal
{
    public const double Spacing = 2.5;

    public static Configuration Create(int atoms, Func<int, int> atomicNumberOf)
    {
        int n = (int)Math.Round(Math.Cbrt(atoms));
        if (n * n * n != atoms) throw new ArgumentException("The atom count must be a cube (64, 216, 512, …).");
        var random = new Random(7);
        var positions = new double[atoms, 3];
        for (int i = 0; i < atoms; i++)
        {
            int[] cell = [i / (n * n), i / n % n, i % n];
            for (int d = 0; d < 3; d++) positions[i, d] = Spacing * cell[d] + 0.2 * (random.NextDouble() - 0.5);
        }
        double length = n * Spacing;
        var lattice = new double[,] { { length, 0, 0 }, { 0, length, 0 }, { 0, 0, length } };
        return new Configuration(Enumerable.Range(0, atoms).Select(atomicNumberOf).ToArray(), positions, lattice, [true, true, true]);
    }
}
