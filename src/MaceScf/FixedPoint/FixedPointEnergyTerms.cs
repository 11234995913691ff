using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The energy terms per structure (docs/math.md, "Energy"), each [G] eV.
/// <param name="AtomicReference">Σ E0(Z_i)</param>
/// <param name="Local">Σ_t Σ_i ε_t(h_i^(t)), the MACE layer energies</param>
/// <param name="LocalElectron">Σ_i ε_el,i, the field readout (0 when not included)</param>
/// <param name="Coulomb">electrostatic energy of the final density</param>
/// <param name="ExternalField">E·P of the final density</param>
/// <param name="Electrodes">Σ_r μ_r Q_r over the electrodes, which makes the energy their grand potential (docs/response.md,
/// "Electrodes at a potential difference"); null without electrodes</param>
internal sealed record FixedPointEnergyTerms(Tensor AtomicReference, Tensor Local, Tensor LocalElectron, Tensor Coulomb, Tensor ExternalField,
    Tensor? Electrodes = null)
{
    public Tensor Total => Electrodes is null
        ? AtomicReference.Plus(Local).Plus(LocalElectron).Plus(Coulomb).Plus(ExternalField)
        : AtomicReference.Plus(Local).Plus(LocalElectron).Plus(Coulomb).Plus(ExternalField).Plus(Electrodes);

    public IEnumerable<(string Name, Tensor Value)> Named()
    {
        IEnumerable<(string, Tensor)> terms =
        [
            ("e0", AtomicReference), ("local", Local), ("local_electron", LocalElectron), ("coulomb", Coulomb), ("external_field", ExternalField),
        ];
        return Electrodes is null ? terms : terms.Append(("electrodes", Electrodes));
    }
}
