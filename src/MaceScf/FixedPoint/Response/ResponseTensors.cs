using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The linear response of a converged SCF solution (docs/response.md) for a batch of G structures with N atoms, as the model
/// defines its dipole P = Σ q_i r_i + Σ d_i (e·Å). Entries that were not asked for are null.
/// <param name="BornCharges">[N, 3, 3] Z*_i,αβ = ∂P_α/∂r_iβ (e), in the ensemble the SCF ran in (constant charge or constant
/// Fermi level)</param>
/// <param name="Polarizability">[G, 3, 3] α_αβ = ∂P_α/∂E_β at constant total charge (e·Å²/V), E = −external_field the
/// electric field</param>
/// <param name="PolarizabilityAtFermiLevel">[G, 3, 3] α_αβ at constant Fermi level (charge flows to or from the reservoir)</param>
/// <param name="Failure">per structure, why its response is not that of a solution (its SCF did not converge, or a linear solve
/// missed its residual), or null; a structure with a reason has no valid entries</param>
internal sealed record ResponseTensors(Tensor? BornCharges, Tensor? Polarizability, Tensor? PolarizabilityAtFermiLevel,
    IReadOnlyList<string?> Failure)
{
    /// Every tensor held.
    public IEnumerable<Tensor> Tensors() => new[] { BornCharges, Polarizability, PolarizabilityAtFermiLevel }.OfType<Tensor>();
}
