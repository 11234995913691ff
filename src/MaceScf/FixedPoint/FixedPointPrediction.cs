using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The energy terms per structure (docs/math.md, "Energy"), each [G] eV.
/// <param name="AtomicReference">Σ E0(Z_i)</param>
/// <param name="Local">Σ_t Σ_i ε_t(h_i^(t)), the MACE layer energies</param>
/// <param name="LocalElectron">Σ_i ε_el,i, the field readout (0 when not included)</param>
/// <param name="Coulomb">electrostatic energy of the final density</param>
/// <param name="ExternalField">E·P of the final density</param>
public sealed record FixedPointEnergyTerms(Tensor AtomicReference, Tensor Local, Tensor LocalElectron, Tensor Coulomb, Tensor ExternalField)
{
    public Tensor Total => AtomicReference + Local + LocalElectron + Coulomb + ExternalField;

    public IEnumerable<(string Name, Tensor Value)> Named() =>
    [
        ("e0", AtomicReference), ("local", Local), ("local_electron", LocalElectron), ("coulomb", Coulomb), ("external_field", ExternalField),
    ];
}

/// What the model predicts for a batch.
/// <param name="Energy">[G] eV</param>
/// <param name="Forces">[N, 3] eV/Å, or null</param>
/// <param name="Virials">[G, 3, 3] −∂E/∂ε, or null</param>
/// <param name="Stress">[G, 3, 3] (1/V) ∂E/∂ε (eV/Å³), or null</param>
/// <param name="Terms">energy decomposition</param>
/// <param name="Scf">density, Fermi level, history and status</param>
/// <param name="TotalCharge">[G] Σ q of the final density</param>
/// <param name="Dipole">[G, 3] Cartesian total dipole of the final density (e·Å)</param>
/// <param name="Derivation">how forces and stress were taken (implicit, or unrolled and why), or null when neither was computed</param>
public sealed record FixedPointPrediction(Tensor Energy, Tensor? Forces, Tensor? Virials, Tensor? Stress, FixedPointEnergyTerms Terms,
    ScfResult Scf, Tensor TotalCharge, Tensor Dipole, ForcesDerivation? Derivation = null);
