using MaceScf.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// Data-derived constants of the backbone, computed as the Python implementation does (avg_num_neighbors is
/// <see cref="AverageNeighbourCount"/>).
public static class MaceStatistics
{
    /// --E0s average: the per-element energies E0 minimising Σ_c (E_c − Σ_z n_{c,z} E0_z)² (minimum-norm least squares
    /// when the compositions do not determine every element), keyed by atomic number.
    public static Dictionary<int, double> AverageAtomicEnergies(IReadOnlyList<Configuration> configurations, IReadOnlyList<double> energies,
        IReadOnlyList<int> atomicNumbers)
    {
        if (configurations.Count != energies.Count) throw new ArgumentException("One energy per configuration is needed.");
        if (configurations.Count == 0) throw new ArgumentException("No configurations.");
        var column = atomicNumbers.Select((z, j) => (z, j)).ToDictionary(t => t.z, t => t.j);
        var counts = new double[configurations.Count * atomicNumbers.Count];
        for (int c = 0; c < configurations.Count; c++)
            foreach (int z in configurations[c].AtomicNumbers)
                counts[c * atomicNumbers.Count + (column.TryGetValue(z, out int j) ? j : throw new ArgumentException($"Element Z={z} is not in the table."))] += 1;
        using var scope = NewDisposeScope();
        var a = torch.tensor(counts, [configurations.Count, atomicNumbers.Count], dtype: ScalarType.Float64);
        var b = torch.tensor(energies.ToArray(), [energies.Count, 1], dtype: ScalarType.Float64);
        // Minimum-norm solution through the pseudo-inverse (singular values below the default relative tolerance are dropped).
        var e0 = linalg.pinv(a).matmul(b).squeeze(1).data<double>().ToArray();
        return atomicNumbers.Select((z, j) => (z, j)).ToDictionary(t => t.z, t => e0[t.j]);
    }
}
