using MaceScf.FixedPoint;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// The structures and atoms of the batch that every mean of a loss runs over. A rank's shard of a global batch divides its
/// sums by the global batch's counts, so the ranks' losses and gradients add up to those of the global batch
/// (docs/distributed.md).
internal readonly record struct LossNormalisation(int Structures, long Atoms)
{
    public static LossNormalisation Of(TrainingBatch b) => new(b.GraphCount, b.Batch.shape[0]);
}

/// The weighted loss L = Σ_k w_k L_k of a stage (docs/math.md, "Training losses"). Every "mean" runs over
/// all elements, so zero-weight (absent) entries count in the denominator but contribute nothing.
internal static class TrainingLoss
{
    /// The total and each weighted term (for the log); the means run over <paramref name="over"/> (default: the batch).
    public static (Tensor Total, Dictionary<string, double> Terms) Compute(IReadOnlyList<LossTerm> terms, Prediction o, TrainingBatch b,
        LossNormalisation? over = null)
    {
        Tensor? total = null;
        var values = new Dictionary<string, double>();
        foreach (var term in terms)
        {
            var value = Term(term, o, b, over).Times(term.Weight);
            values[term.Name] = value.item<double>();
            total = total is null ? value : total.Plus(value);
        }
        return (total ?? zeros(1, dtype: o.Energy.dtype).sum(), values);
    }

    /// Whether a loss needs the forces, the potentials or the field features.
    public static bool NeedsForces(IEnumerable<LossTerm> terms) => terms.Any(t => t.Name == "forces");

    /// Whether a loss needs the virials (the stress and virials losses).
    public static bool NeedsStress(IEnumerable<LossTerm> terms) => terms.Any(t => t.Name is "stress" or "virials");

    /// The predicted stress −W/V [G, 3, 3] with the batch's volumes (finite for structures without a cell, whose weight is 0).
    public static Tensor Stress(Prediction o, TrainingBatch b) =>
        -(o.Virials ?? throw new ArgumentException("the stress loss needs virials")) / b.Volume.view(-1, 1, 1);

    /// Whether a loss needs the polarizability.
    public static bool NeedsPolarizability(IEnumerable<LossTerm> terms) => terms.Any(t => t.Name == "polarizability");

    /// Whether a loss needs the Born charges.
    public static bool NeedsBornCharges(IEnumerable<LossTerm> terms) => terms.Any(t => t.Name == "born_charges");

    /// The predicted polarizability [G, 3, 3].
    static Tensor Polarizability(Prediction o) =>
        o.Response?.Polarizability ?? throw new ArgumentException("the polarizability loss needs the model's polarizability");

    public static bool NeedsEsps(IEnumerable<LossTerm> terms) => terms.Any(t => t.Name == "esps");

    public static bool NeedsFieldFeatures(IEnumerable<LossTerm> terms) => terms.Any(t => t.Name == "field_features");

    public static bool NeedsStability(IEnumerable<LossTerm> terms) => terms.Any(t => t.Name == "fixedpoint_scf_stability");

    /// One unweighted term.
    public static Tensor Term(LossTerm term, Prediction o, TrainingBatch b, LossNormalisation? over = null)
    {
        var count = over ?? LossNormalisation.Of(b);
        // Σ over the rows (structures or atoms) and columns of x, divided by the entries of the normalising batch.
        Tensor PerStructure(Tensor x) => x.sum().DividedBy(x.numel() / Math.Max(1, x.shape[0]) * (double)count.Structures);
        Tensor PerAtom(Tensor x) => x.sum().DividedBy(x.numel() / Math.Max(1, x.shape[0]) * (double)count.Atoms);
        double Option(string key, double fallback) => term.Options.FirstOrDefault(kv => kv.Key == key) is { Key: not null } kv ? kv.Value : fallback;
        var n = b.AtomCount;
        var w = b.ConfigWeight;
        return term.Name switch
        {
            // mean_g [w_g w^E_g (ΔE_g/N_g)²]
            "energy_per_atom" => PerStructure(w * b.EnergyWeight * ((b.Energy - o.Energy) / n).Squared()),
            // mean_(i,α) [w w^F ΔF²]
            "forces" => PerAtom(b.ForcesWeight.unsqueeze(1) * (b.Forces - (o.Forces ?? throw new ArgumentException("the forces loss needs forces"))).Squared()),
            // mean_(g,α,β) [w w^S Δσ²] (MACE's weighted_mean_squared_stress)
            "stress" => PerStructure((w * b.StressWeight).view(-1, 1, 1) * (b.Stress - Stress(o, b)).Squared()),
            // mean_(g,α,β) [w w^V (ΔW/N_g)²] (MACE's weighted_mean_squared_virials)
            "virials" => PerStructure((w * b.VirialsWeight).view(-1, 1, 1)
                * ((b.Virials - (o.Virials ?? throw new ArgumentException("the virials loss needs virials"))) / n.view(-1, 1, 1)).Squared()),
            // mean_(i,c) [w w^ρ Δρ²]
            // mean_(g,α,β) [w w^α (Δα/N_g)²] (the Python pipeline's polarizability loss)
            "polarizability" => PerStructure((w * b.PolarizabilityWeight).view(-1, 1, 1)
                * ((b.Polarizability - Polarizability(o)) / n.view(-1, 1, 1)).Squared()),
            // mean_(i,α,β) [w w^Z ΔZ*²], as the forces loss
            "born_charges" => PerAtom(b.BornChargesWeight.view(-1, 1, 1)
                * (b.BornCharges - (o.Response?.BornCharges ?? throw new ArgumentException("the born_charges loss needs the model's Born charges"))).Squared()),
            "atomic_multipoles" => PerAtom(b.MultipolesWeight.unsqueeze(1) * (b.Multipoles - o.Density!).Squared()),
            // mean_i [w w^ρ Δq²]: the charges (l = 0 coefficients) alone, which atomic_multipoles averages with the dipoles.
            "charges" => PerAtom(b.MultipolesWeight * (b.Multipoles[.., 0] - o.Density![.., 0]).Squared()),
            "total_charge" => PerStructure(w * b.TotalChargeWeight * (b.TotalCharge - o.TotalCharge!).Squared()),
            "total_charge_per_atom" => PerStructure(w * b.TotalChargeWeight * ((b.TotalCharge - o.TotalCharge!) / n).Squared()),
            "dipole" => PerStructure(w.unsqueeze(1) * b.DipoleWeight * (b.Dipole - o.Dipole!).Squared()),
            "dipole_per_atom" => PerStructure(w.unsqueeze(1) * b.DipoleWeight * ((b.Dipole - o.Dipole!) / n.unsqueeze(1)).Squared()),
            "fermi_level" => PerStructure(w * b.FermiLevelWeight * (b.FermiLevel - o.FermiLevel!).Squared()),
            "fermi_level_per_atom" => PerStructure(w * b.FermiLevelWeight * ((b.FermiLevel - o.FermiLevel!) / n).Squared()),
            // mean_i [w (V[ρ_ref]_i − V[ρ]_i)²]: both potentials computed by the model's electrostatics.
            "esps" => PerAtom(b.PotentialWeight * (o.Potentials!.Value.Start - o.Potentials.Value.Predicted).Squared()),
            // mean_i [w mean_c (V̂[ρ] − V̂[ρ_ref])²] at the same Fermi level.
            "field_features" => PerAtom(b.PotentialWeight * (o.FieldFeatures!.Value.Predicted - o.FieldFeatures.Value.Start).Squared().mean([1])),
            // mean_g softplus_β(r_g − offset): r_g the squared amplification of the map at the fixed point (ScfStability);
            // nothing when the stage turns fixed_point_training_options.fixedpoint_scf_stability off.
            "fixedpoint_scf_stability" => o.StabilityRatio is null ? zeros_like(o.Energy).sum() : PerStructure(ScfStability.Penalty(o.StabilityRatio, Option("smooth", 1) != 0, Option("beta", 10.0), Option("offset", 1.0))),
            _ => throw new ArgumentException($"loss '{term.Name}' is not provided by macescf train"),
        };
    }
}
