using MaceScf.Data;

namespace MaceScf.Mace;

/// Data-derived constants of the backbone, computed as the Python implementation does (avg_num_neighbors is
/// <see cref="AverageNeighbourCount"/>).
internal static class MaceStatistics
{
    /// --E0s average: the per-element energies E0 minimising Σ_c (E_c − Σ_z n_{c,z} E0_z)² (minimum-norm least squares
    /// when the compositions do not determine every element), keyed by atomic number; a frame is given by its atomic numbers.
    public static Dictionary<int, double> AverageAtomicEnergies(IReadOnlyList<int[]> configurations, IReadOnlyList<double> energies,
        IReadOnlyList<int> atomicNumbers)
    {
        if (configurations.Count != energies.Count) throw new ArgumentException("One energy per configuration is needed.");
        if (configurations.Count == 0) throw new ArgumentException("No configurations.");
        var column = atomicNumbers.Select((z, j) => (z, j)).ToDictionary(t => t.z, t => t.j);
        var counts = new double[configurations.Count, atomicNumbers.Count];
        for (int c = 0; c < configurations.Count; c++)
            foreach (int z in configurations[c])
                counts[c, column.TryGetValue(z, out int j) ? j : throw new ArgumentException($"Element Z={z} is not in the table.")] += 1;
        // The minimum-norm solution (as the pseudo-inverse gives it), computed deterministically: every frame of the same
        // composition makes the design rank-deficient, and the result must not depend on a threaded reduction order.
        var e0 = MinimumNormLeastSquares.Solve(counts, energies.ToArray());
        return atomicNumbers.Select((z, j) => (z, j)).ToDictionary(t => t.z, t => e0[t.j]);
    }

    /// MACE's --scaling statistics of a training set: the mean over the frames with an energy of the per-atom interaction
    /// energy (E − Σ_i E0(z_i))/N, and the scale: the RMS of every force component of the frames with forces
    /// (rms_forces_scaling), the sample standard deviation of those per-atom energies (std_scaling), or 1 (no_scaling). A
    /// scale of 0 or one that cannot be computed (no forces, a single frame) is 1, as MACE's check gives.
    public static (double Mean, double Scale) ScaleAndShift(IReadOnlyList<LabelledConfiguration> train, IReadOnlyDictionary<int, double>? e0s,
        string scaling)
    {
        var perAtom = train.Where(f => f.Energy.IsPresent).Select(f =>
            (f.Energy.Value - f.Configuration.AtomicNumbers.Sum(z => e0s?.GetValueOrDefault(z) ?? 0.0)) / f.Configuration.AtomCount).ToArray();
        double mean = perAtom.Length > 0 ? perAtom.Average() : 0.0;
        double scale = scaling switch
        {
            "rms_forces_scaling" => train.Where(f => f.Forces.IsPresent).SelectMany(f => f.Forces.Value.Cast<double>()).ToArray() is { Length: > 0 } forces
                ? Math.Sqrt(forces.Average(x => x * x)) : 1.0,
            "std_scaling" => perAtom.Length > 1 ? Math.Sqrt(perAtom.Sum(e => (e - mean) * (e - mean)) / (perAtom.Length - 1)) : 1.0,
            "no_scaling" => 1.0,
            _ => throw new ArgumentException($"unknown scaling '{scaling}'; one of rms_forces_scaling, std_scaling, no_scaling"),
        };
        return (mean, double.IsFinite(scale) && scale > 0 ? scale : 1.0);
    }
}
