using MaceScf.Data;

namespace MaceScf.Mace;

/// Data-derived constants of the backbone, computed as the Python implementation does (avg_num_neighbors is
/// <see cref="AverageNeighbourCount"/>).
internal static class MaceStatistics
{
    /// --E0s average: the per-element energies E0 minimising Σ_c (E_c − Σ_z n_{c,z} E0_z)² (minimum-norm least squares
    /// when the compositions do not determine every element), keyed by atomic number.
    public static Dictionary<int, double> AverageAtomicEnergies(IReadOnlyList<Configuration> configurations, IReadOnlyList<double> energies,
        IReadOnlyList<int> atomicNumbers)
    {
        if (configurations.Count != energies.Count) throw new ArgumentException("One energy per configuration is needed.");
        if (configurations.Count == 0) throw new ArgumentException("No configurations.");
        var column = atomicNumbers.Select((z, j) => (z, j)).ToDictionary(t => t.z, t => t.j);
        var counts = new double[configurations.Count, atomicNumbers.Count];
        for (int c = 0; c < configurations.Count; c++)
            foreach (int z in configurations[c].AtomicNumbers)
                counts[c, column.TryGetValue(z, out int j) ? j : throw new ArgumentException($"Element Z={z} is not in the table.")] += 1;
        // The minimum-norm solution (as the pseudo-inverse gives it), computed deterministically: every frame of the same
        // composition makes the design rank-deficient, and the result must not depend on a threaded reduction order.
        var e0 = MinimumNormLeastSquares.Solve(counts, energies.ToArray());
        return atomicNumbers.Select((z, j) => (z, j)).ToDictionary(t => t.z, t => e0[t.j]);
    }
}
