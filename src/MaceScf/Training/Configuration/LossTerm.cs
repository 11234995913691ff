namespace MaceScf.Training;

/// One term of a stage's loss: its name, weight and options (`{weight: w, beta: 2.0}`).
internal sealed record LossTerm(string Name, double Weight, IReadOnlyList<KeyValuePair<string, double>> Options)
{
    /// The loss names a stage may use (the seed's list plus the whole-structure variants of the
    /// per-atom charge, dipole and Fermi-level losses, and `charges`: the l = 0 part of `atomic_multipoles`).
    public static IReadOnlyList<string> KnownNames { get; } =
    [
        "atomic_multipoles", "total_charge_per_atom", "dipole_per_atom", "fermi_level_per_atom",
        "energy_per_atom", "forces", "esps", "field_features", "fixedpoint_scf_stability",
        "total_charge", "dipole", "fermi_level", "stress", "virials", "charges", "polarizability", "born_charges",
    ];

    /// Options a loss accepts besides its weight.
    public static IReadOnlyList<string> OptionNames(string loss) =>
        loss == "fixedpoint_scf_stability" ? ["smooth", "beta", "offset"] : [];
}
