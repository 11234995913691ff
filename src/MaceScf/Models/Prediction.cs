using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Models;

/// What a model predicts for a batch of G structures with N atoms. Outputs the request did not ask for, or the model does not
/// have (a density for a model without one), are null.
/// <param name="Energy">[G] eV</param>
/// <param name="Terms">the energy decomposition by name, each [G] eV; they sum to <paramref name="Energy"/></param>
/// The prediction owns its tensors: dispose it, or let the dispose scope it was returned into free them.
internal sealed record Prediction(Tensor Energy, IReadOnlyList<(string Name, Tensor Value)> Terms) : IDisposable
{
    /// [N, 3] −∂E/∂r (eV/Å).
    public Tensor? Forces { get; init; }

    /// [G, 3, 3] −∂E/∂ε (eV).
    public Tensor? Virials { get; init; }

    /// [G, 3, 3] (1/V) ∂E/∂ε (eV/Å³; MACE's and ASE's sign).
    public Tensor? Stress { get; init; }

    /// [N] per-atom energies (eV), for a model that has them (MACE).
    public Tensor? NodeEnergies { get; init; }

    /// [N] electronegativities χ (V) of a charge-equilibration model, the external potential included.
    public Tensor? Electronegativity { get; init; }

    /// [N] hardnesses J (V/e) of a charge-equilibration model.
    public Tensor? Hardness { get; init; }

    /// [N, K] the final density coefficients [q, p_y, p_z, p_x, …].
    public Tensor? Density { get; init; }

    /// [G] the Fermi level (V) of the final density.
    public Tensor? FermiLevel { get; init; }

    /// [G] Σ q of the final density.
    public Tensor? TotalCharge { get; init; }

    /// [G, 3] Cartesian total dipole of the final density (e·Å).
    public Tensor? Dipole { get; init; }

    /// The SCF run: history, status and steps per structure (null for a model without an SCF or a direct step).
    public ScfResult? Scf { get; init; }

    /// How forces, stress or parameter gradients differentiate the SCF solution and, after a fall-back, why.
    public ForcesDerivation? Derivation { get; init; }

    /// (final, start) electrostatic potentials at the atoms [N], when requested.
    public (Tensor Predicted, Tensor Start)? Potentials { get; init; }

    /// (final, start) field features V̂ [N, F], when requested.
    public (Tensor Predicted, Tensor Start)? FieldFeatures { get; init; }

    /// [G] the SCF-stability ratio, when requested.
    public Tensor? StabilityRatio { get; init; }

    /// Born effective charges and polarizabilities of the converged solution, when requested (docs/response.md).
    public ResponseTensors? Response { get; init; }

    /// With electrodes: the total charge and the Fermi level of every region (docs/response.md).
    public RegionTotals? Regions { get; init; }

    /// The term called <paramref name="name"/>.
    public Tensor Term(string name) => Terms.First(t => t.Name == name).Value;

    /// Every tensor of the prediction (for moving out of a dispose scope or disposing).
    public IEnumerable<Tensor> Tensors()
    {
        IEnumerable<Tensor?> all = [Energy, NodeEnergies, Forces, Virials, Stress, Electronegativity, Hardness, Density, FermiLevel, TotalCharge, Dipole, StabilityRatio,
            Potentials?.Predicted, Potentials?.Start, FieldFeatures?.Predicted, FieldFeatures?.Start,
            Scf?.Density, Scf?.FermiLevel, Scf?.Features, Scf?.History, Scf?.RegionFermiLevels, Regions?.Charge, Regions?.FermiLevel];
        return all.Concat(Terms.Select(t => t.Value)).Concat(Response?.Tensors() ?? []).OfType<Tensor>().Distinct(ReferenceEqualityComparer.Instance).Cast<Tensor>();
    }

    /// Frees every tensor of the prediction.
    public void Dispose()
    {
        foreach (var t in Tensors()) t.Dispose();
    }
}

/// The totals of the regions of a run with electrodes (docs/response.md, "Electrodes at a potential difference").
/// <param name="Charge">[G, S] Σ q of every region: slot 0 the electrolyte, slot r electrode r (e)</param>
/// <param name="FermiLevel">[G, S] the Fermi level of every region (V): the electrodes' given ones, the electrolyte's solved one</param>
internal sealed record RegionTotals(Tensor Charge, Tensor FermiLevel);
