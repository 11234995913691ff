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
        var e0 = MaceStatistics.AverageAtomicEnergies(configurations, energies, [1, 8]);
        Assert.Equal(h, e0[1], 10);
        Assert.Equal(o, e0[8], 10);
    }

    [Fact]
    public void AverageAtomicEnergiesTakeTheMinimumNormSolutionWhenUndetermined()
    {
        // Every configuration is H2O: only 2·E_H + E_O = −459.3 is known; minimum norm gives E0 ∝ (2, 1).
        var water = new Configuration([1, 1, 8], new double[3, 3], null, [false, false, false]);
        var e0 = MaceStatistics.AverageAtomicEnergies([water, water], [-459.3, -459.3], [1, 8]);
        Assert.Equal(-459.3 * 2 / 5, e0[1], 10);
        Assert.Equal(-459.3 / 5, e0[8], 10);
    }
}
