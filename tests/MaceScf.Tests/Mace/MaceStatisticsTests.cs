using MaceScf.Data;
using MaceScf.Mace;

namespace MaceScf.Tests.Mace;

public class MaceStatisticsTests
{
    [Fact]
    public void AverageAtomicEnergiesRecoverAdditiveEnergies()
    {
        static Configuration Of(params int[] z) => new(z, new double[z.Length, 3], null, [false, false, false]);
        var configurations = new[] { Of(1, 1, 8), Of(1, 8), Of(8, 8), Of(1, 1, 1, 1, 8, 8) };
        double h = -13.6, o = -432.1;
        // Energies that are exactly additive are recovered.
        var energies = configurations.Select(c => c.AtomicNumbers.Sum(z => z == 1 ? h : o)).ToArray();
        var e0 = MaceStatistics.AverageAtomicEnergies(configurations.Select(c => c.AtomicNumbers).ToArray(), energies, [1, 8]);
        Assert.Equal(h, e0[1], 10);
        Assert.Equal(o, e0[8], 10);
    }

    [Fact]
    public void AverageAtomicEnergiesTakeTheMinimumNormSolutionWhenUndetermined()
    {
        // Every configuration is H2O: only 2·E_H + E_O = −459.3 is known; minimum norm gives E0 ∝ (2, 1).
        var water = new Configuration([1, 1, 8], new double[3, 3], null, [false, false, false]);
        var e0 = MaceStatistics.AverageAtomicEnergies([water.AtomicNumbers, water.AtomicNumbers], [-459.3, -459.3], [1, 8]);
        Assert.Equal(-459.3 * 2 / 5, e0[1], 10);
        Assert.Equal(-459.3 / 5, e0[8], 10);
    }

    [Fact]
    public void AverageAtomicEnergiesOfOneCompositionAreTheSameBitsOnEveryRun()
    {
        // Issue 13 (reproducibility): every frame H2O makes the design rank-deficient; the minimum-norm E0s must not depend
        // on a threaded reduction order. 400 frames with scattered energies, solved 8 times on different threads.
        var water = new Configuration([1, 1, 8], new double[3, 3], null, [false, false, false]);
        var random = new Random(3);
        var energies = Enumerable.Range(0, 400).Select(_ => -459.3 + random.NextDouble() - 0.5).ToArray();
        var frames = Enumerable.Repeat(water.AtomicNumbers, energies.Length).ToArray();
        var runs = Enumerable.Range(0, 8).AsParallel().Select(_ => MaceStatistics.AverageAtomicEnergies(frames, energies, [1, 8, 6])).ToArray();
        foreach (var run in runs)
            foreach (int z in new[] { 1, 8, 6 })
                Assert.Equal(BitConverter.DoubleToInt64Bits(runs[0][z]), BitConverter.DoubleToInt64Bits(run[z]));
        // The null space is fixed by the minimum norm: E0 = mean(E) · (2, 1) / 5, and 0 for carbon, which no frame has.
        double mean = energies.Average();
        Assert.Equal(mean * 2 / 5, runs[0][1], 1e-12 * Math.Abs(mean));
        Assert.Equal(mean / 5, runs[0][8], 1e-12 * Math.Abs(mean));
        Assert.Equal(0.0, runs[0][6]);
    }
}
