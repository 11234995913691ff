using static TorchSharp.torch;

namespace MaceScf.Training;

/// Sums of squared errors per property over the labelled entries of many batches, for RMSEs.
public sealed class ErrorAccumulator
{
    private readonly Dictionary<string, (double Sum, double Count)> _sums = [];

    /// <param name="difference">prediction − reference, any shape</param><param name="present">1 where labelled, broadcastable</param>
    public void Add(string property, Tensor difference, Tensor present)
    {
        using var scope = NewDisposeScope();
        var mask = (present > 0).expand_as(difference).to_type(ScalarType.Float64);
        double sum = (difference.detach().to_type(ScalarType.Float64).square() * mask).sum().item<double>();
        double count = mask.sum().item<double>();
        if (count == 0) return;
        var (s, c) = _sums.GetValueOrDefault(property);
        _sums[property] = (s + sum, c + count);
    }

    /// Property errors of a batch's outputs.
    public void Add(TrainingOutputs o, TrainingBatch b)
    {
        Add("energy_per_atom", (o.Energy - b.Energy) / b.AtomCount, b.EnergyWeight);
        if (o.Forces is not null) Add("forces", o.Forces - b.Forces, b.ForcesWeight.unsqueeze(1));
        Add("atomic_multipoles", o.Density - b.Multipoles, b.MultipolesWeight.unsqueeze(1));
        Add("total_charge", o.TotalCharge - b.TotalCharge, b.TotalChargeWeight);
        Add("dipole", o.Dipole - b.Dipole, b.DipoleWeight);
        Add("fermi_level", o.FermiLevel - b.FermiLevel, b.FermiLevelWeight);
    }

    public IReadOnlyDictionary<string, double> Rmse() => _sums.ToDictionary(kv => kv.Key, kv => Math.Sqrt(kv.Value.Sum / kv.Value.Count));
}
