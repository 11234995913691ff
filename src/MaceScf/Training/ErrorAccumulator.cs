using MaceScf.Models;
using MaceScf.Distributed;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// Sums of squared errors per property over the labelled entries of many batches, for RMSEs.
internal sealed class ErrorAccumulator
{
    private readonly Dictionary<string, (double Sum, double Count)> _sums = [];

    /// <param name="property">the label, e.g. energy or forces (one RMSE each)</param>
    /// <param name="difference">prediction − reference, any shape</param><param name="present">1 where labelled, broadcastable</param>
    public void Add(string property, Tensor difference, Tensor present)
    {
        using var scope = NewDisposeScope();
        var mask = present.GreaterThan(0).expand_as(difference).to_type(ScalarType.Float64);
        double sum = (difference.detach().to_type(ScalarType.Float64).Squared() * mask).sum().item<double>();
        double count = mask.sum().item<double>();
        if (count == 0) return;
        var (s, c) = _sums.GetValueOrDefault(property);
        _sums[property] = (s + sum, c + count);
    }

    /// Property errors of a batch's outputs.
    public void Add(Prediction o, TrainingBatch b)
    {
        Add("energy_per_atom", (o.Energy - b.Energy) / b.AtomCount, b.EnergyWeight);
        if (o.Forces is not null) Add("forces", o.Forces - b.Forces, b.ForcesWeight.unsqueeze(1));
        if (o.Virials is not null)
        {
            Add("stress", TrainingLoss.Stress(o, b) - b.Stress, b.StressWeight.view(-1, 1, 1));
            Add("virials_per_atom", (o.Virials - b.Virials) / b.AtomCount.view(-1, 1, 1), b.VirialsWeight.view(-1, 1, 1));
        }
        // Models without a density (plain MACE) have none of these.
        if (o.Density is not null) Add("atomic_multipoles", o.Density - b.Multipoles, b.MultipolesWeight.unsqueeze(1));
        if (o.TotalCharge is not null) Add("total_charge", o.TotalCharge - b.TotalCharge, b.TotalChargeWeight);
        if (o.Dipole is not null) Add("dipole", o.Dipole - b.Dipole, b.DipoleWeight);
        if (o.FermiLevel is not null) Add("fermi_level", o.FermiLevel - b.FermiLevel, b.FermiLevelWeight);
        if (o.Response?.BornCharges is { } born) Add("born_charges", born - b.BornCharges, b.BornChargesWeight.view(-1, 1, 1));
        if (o.Response?.Polarizability is { } alpha)
            Add("polarizability_per_atom", (alpha - b.Polarizability) / b.AtomCount.view(-1, 1, 1), b.PolarizabilityWeight.view(-1, 1, 1));
    }

    /// The properties of <see cref="Add(Prediction, TrainingBatch)"/>, in the order their sums travel between ranks.
    public static IReadOnlyList<string> Properties { get; } = ["energy_per_atom", "forces", "stress", "virials_per_atom", "atomic_multipoles", "total_charge", "dipole", "fermi_level", "polarizability_per_atom", "born_charges"];

    /// Replaces the sums by their totals over the ranks (each rank accumulated its shard).
    public void SumOver(ICommunicator ranks)
    {
        if (ranks.Size == 1) return;
        var packed = Properties.SelectMany(p => _sums.TryGetValue(p, out var v) ? new[] { v.Sum, v.Count } : [0.0, 0.0]).ToArray();
        ranks.Sum(packed);
        _sums.Clear();
        for (int i = 0; i < Properties.Count; i++)
            if (packed[2 * i + 1] > 0) _sums[Properties[i]] = (packed[2 * i], packed[2 * i + 1]);
    }

    public IReadOnlyDictionary<string, double> Rmse() => _sums.ToDictionary(kv => kv.Key, kv => Math.Sqrt(kv.Value.Sum / kv.Value.Count));
}
