namespace MaceScf.Synthetic;

/// Command-line replacements for a system's defaults; null keeps the default. Giving a total
/// charge solves at constant charge, giving a Fermi level at constant Fermi level.
internal sealed record SynthesisOverrides
{
    /// Gradient of the applied potential (V/Å) for every frame.
    public double[]? ExternalField { get; init; }

    public double? TotalCharge { get; init; }

    public double? FermiLevel { get; init; }

    /// The Fermi levels of the electrodes of a structure that has them (the capacitor).
    public double[]? ElectrodeFermiLevels { get; init; }

    public SyntheticStructure Apply(SyntheticStructure structure)
    {
        if (TotalCharge is not null && FermiLevel is not null)
            throw new ArgumentException("give either a total charge or a Fermi level, not both");
        var constraint = TotalCharge is double q ? ElectronConstraint.TotalCharge(q)
            : FermiLevel is double mu ? ElectronConstraint.FermiLevel(mu)
            : structure.Constraint;
        var electrodes = structure.Electrodes is { } e && ElectrodeFermiLevels is { } levels ? e with { FermiLevels = levels } : structure.Electrodes;
        return structure with { Constraint = constraint, ExternalField = ExternalField ?? structure.ExternalField, Electrodes = electrodes };
    }
}
