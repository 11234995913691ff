using MaceScf.Calculators;

namespace MaceScf.Md;

/// Conditions of an MD run that replace those of the initial frame (`macescf ipi --field`, `--fermi-level`,
/// `--total-charge`, `--electrode-potentials`); null keeps the frame's own.
/// <param name="TotalCharge">the total charge held (e)</param>
/// <param name="FermiLevel">the Fermi level held (V)</param>
/// <param name="ExternalField">gradient of the applied potential (V/Å)</param>
/// <param name="Electrodes">electrode regions at their Fermi levels (docs/response.md)</param>
internal sealed record RunConditions(double? TotalCharge = null, double? FermiLevel = null, double[]? ExternalField = null,
    ElectrodeConditions? Electrodes = null)
{
    /// The structure with these conditions.
    public Structure Apply(Structure structure) => structure with
    {
        TotalCharge = TotalCharge ?? structure.TotalCharge,
        FermiLevel = FermiLevel ?? structure.FermiLevel,
        ExternalField = ExternalField ?? structure.ExternalField,
        Electrodes = Electrodes ?? structure.Electrodes,
    };
}
