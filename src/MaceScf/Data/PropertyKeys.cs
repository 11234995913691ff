namespace MaceScf.Data;

/// Canonical property names of the `heads` mapping (as in the Python pipeline) and the info
/// keys that carry weights.
internal static class PropertyKeys
{
    public const string Energy = "energy";
    public const string Dipole = "dipole";
    public const string TotalCharge = "total_charge";
    public const string FermiLevel = "fermi_level";
    public const string ExternalField = "external_field";
    public const string Head = "head";
    /// Stress (eV/Å³): 3×3, or 6 (Voigt xx yy zz yz xz xy) or 9 values, as ASE writes it.
    public const string Stress = "stress";
    /// Virials −∂E/∂ε (eV): 3×3, or 6 or 9 values as the stress.
    public const string Virials = "virials";
    /// Polarizability α_αβ = ∂P_α/∂E_β (e·Å²/V, E = −external_field): 3×3 or 9 values (row-major), as ASE writes it.
    public const string Polarizability = "polarizability";

    public const string Forces = "forces";
    public const string AtomicMultipoles = "atomic_multipoles";
    public const string ElectrostaticPotentials = "electrostatic_potentials";
    /// Per-atom formal charges q⁰ (e): an input of LocalSplitCharges with formal_charges_from_data, never a target.
    public const string Charges = "charges";
    /// Born effective charges Z*_i,αβ = ∂P_α/∂r_iβ (e): 9 columns per atom, row-major (xx xy xz yx …).
    public const string BornCharges = "born_charges";

    /// Canonical names read from info (per-frame values).
    public static IReadOnlyList<string> InfoProperties { get; } = [Energy, Dipole, TotalCharge, FermiLevel, ExternalField, Stress, Virials, Polarizability, Head];

    /// Canonical names read from arrays (per-atom columns).
    public static IReadOnlyList<string> ArrayProperties { get; } = [Forces, AtomicMultipoles, ElectrostaticPotentials, Charges, BornCharges];

    /// Electrodes at a potential difference (docs/response.md): the default arrays key of the region of every atom (0 the
    /// electrolyte, r ≥ 1 electrode r), and the info keys of the electrolyte's total charge and of the electrode Fermi levels
    /// (conditions, not labels).
    public const string ElectrodeRegion = "electrode";
    public const string ElectrolyteCharge = "electrolyte_charge";
    public const string ElectrodeFermiLevels = "electrode_fermi_levels";

    /// The file key meaning "not in the data" (the Python pipeline's default for energy and forces).
    public const string NoKey = "none";

    public const string ConfigType = "config_type";
    public const string DefaultConfigType = "Default";
    public const string ConfigWeight = "config_weight";

    /// Cartesian 3-vector mask of the dipole label; without it <see cref="DipoleMask"/> gives one from pbc and cell.
    public const string DipoleWeight = "config_dipole_weight";

    /// The info key of a property's weight: config_{name}_weight.
    public static string WeightKey(string property) => $"config_{property}_weight";
}
