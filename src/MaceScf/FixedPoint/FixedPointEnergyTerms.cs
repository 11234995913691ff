using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The energy terms per structure (docs/math.md, "Energy"), each [G] eV.
/// <param name="AtomicReference">Σ E0(Z_i)</param>
/// <param name="Local">Σ_t Σ_i ε_t(h_i^(t)), the MACE layer energies</param>
/// <param name="LocalElectron">Σ_i ε_el,i, the field readout (0 when not included)</param>
/// <param name="Coulomb">electrostatic energy of the final density</param>
/// <param name="ExternalField">E·P of the final density</param>
internal sealed record FixedPointEnergyTerms(Tensor AtomicReference, Tensor Local, Tensor LocalElectron, Tensor Coulomb, Tensor ExternalField)
{
    public Tensor Total => AtomicReference + Local + LocalElectron + Coulomb + ExternalField;

    public IEnumerable<(string Name, Tensor Value)> Named() =>
    [
        ("e0", AtomicReference), ("local", Local), ("local_electron", LocalElectron), ("coulomb", Coulomb), ("external_field", ExternalField),
    ];
}
