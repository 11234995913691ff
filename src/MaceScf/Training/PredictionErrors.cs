using MaceScf.Calculators;

namespace MaceScf.Training;

/// RMSEs of predictions against the labels their frames carry (unlabelled properties are left out), with the property names of
/// <see cref="EpochReport.Rmse"/>.
internal static class PredictionErrors
{
    public static IReadOnlyDictionary<string, double> Rmse(IReadOnlyList<FramePrediction> predictions)
    {
        var rmse = new Dictionary<string, double>();
        void Add(string name, IEnumerable<double> differences)
        {
            var d = differences.ToArray();
            if (d.Length > 0) rmse[name] = Math.Sqrt(d.Average(x => x * x));
        }
        Add("energy_per_atom", predictions.Where(p => p.Frame.Energy.IsPresent)
            .Select(p => (p.Results.Energy - p.Frame.Energy.Value) / p.Frame.Configuration.AtomCount));
        Add("forces", predictions.Where(p => p.Frame.Forces.IsPresent && p.Results.Forces is not null)
            .SelectMany(p => Differences(p.Results.Forces!, p.Frame.Forces.Value, 0, 3)));
        Add("stress", predictions.Where(p => p.Frame.Stress.IsPresent && p.Results.Stress is not null)
            .SelectMany(p => Differences(p.Results.Stress!, p.Frame.Stress.Value, 0, 3)));
        Add("virials_per_atom", predictions.Where(p => p.Frame.Virials.IsPresent && p.Results.Virial is not null)
            .SelectMany(p => Differences(p.Results.Virial!, p.Frame.Virials.Value, 0, 3).Select(d => d / p.Frame.Configuration.AtomCount)));
        var multipoles = predictions.Where(p => p.Frame.AtomicMultipoles.IsPresent && p.Results.Density is not null).ToList();
        Add("atomic_multipoles", multipoles.SelectMany(p => Differences(p.Results.Density!, p.Frame.AtomicMultipoles.Value, 0, int.MaxValue)));
        Add("charges", multipoles.SelectMany(p => Differences(p.Results.Density!, p.Frame.AtomicMultipoles.Value, 0, 1)));
        Add("atomic_dipoles", multipoles.SelectMany(p => Differences(p.Results.Density!, p.Frame.AtomicMultipoles.Value, 1, 4)));
        Add("total_charge", predictions.Where(p => p.Frame.TotalCharge.IsPresent && p.Results.TotalCharge is not null).Select(p => p.Results.TotalCharge!.Value - p.Frame.TotalCharge.Value));
        Add("dipole", predictions.Where(p => p.Frame.Dipole.IsPresent && p.Results.Dipole is not null).SelectMany(p => p.Results.Dipole!.Zip(p.Frame.Dipole.Value, (a, b) => a - b)));
        Add("fermi_level", predictions.Where(p => p.Frame.FermiLevel.IsPresent && p.Results.FermiLevel is not null).Select(p => p.Results.FermiLevel!.Value - p.Frame.FermiLevel.Value));
        Add("polarizability_per_atom", predictions.Where(p => p.Frame.Polarizability.IsPresent && p.Results.Polarizability is not null)
            .SelectMany(p => Differences(p.Results.Polarizability!, p.Frame.Polarizability.Value, 0, 3).Select(d => d / p.Frame.Configuration.AtomCount)));
        Add("born_charges", predictions.Where(p => p.Frame.BornCharges.IsPresent && p.Results.BornCharges is not null)
            .SelectMany(p => Differences(p.Results.BornCharges!, p.Frame.BornCharges.Value, 0, 9)));
        return rmse;
    }

    /// predicted − reference over columns [first, end) present in both.
    private static IEnumerable<double> Differences(double[,] predicted, double[,] reference, int first, int end)
    {
        int columns = Math.Min(end, Math.Min(predicted.GetLength(1), reference.GetLength(1)));
        for (int i = 0; i < predicted.GetLength(0); i++)
            for (int j = first; j < columns; j++) yield return predicted[i, j] - reference[i, j];
    }
}
