namespace MaceScf.Synthetic;

/// What fixes the number of electrons: the total charge Q (the Fermi level μ is then the Lagrange
/// multiplier) or the Fermi level μ (the total charge follows).
internal sealed record ElectronConstraint(bool IsFixedFermiLevel, double Value)
{
    public static ElectronConstraint TotalCharge(double charge) => new(false, charge);

    public static ElectronConstraint FermiLevel(double mu) => new(true, mu);

    public string Name => IsFixedFermiLevel ? "constant_fermi_level" : "constant_charge";
}
