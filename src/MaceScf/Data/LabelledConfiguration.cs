namespace MaceScf.Data;

/// A configuration with the reference values the model trains on, each marked present or
/// absent, and its weights (units: eV, Å, e, V).
internal sealed class LabelledConfiguration
{
    public required Configuration Configuration { get; init; }

    /// info config_type, "Default" when missing.
    public required string ConfigType { get; init; }

    /// config_weight × config_type_weights[config_type] (each defaulting to 1).
    public required double Weight { get; init; }

    /// Total energy (eV).
    public required Label<double> Energy { get; init; }

    /// Forces [N, 3] (eV/Å).
    public required Label<double[,]> Forces { get; init; }

    /// Multipole coefficients [N, (L+1)²] in the order [q, p_y, p_z, p_x, ...]; extra columns in
    /// the file (e.g. l = 2 when L = 1) are dropped.
    public required Label<double[,]> AtomicMultipoles { get; init; }

    /// Total charge Q (e). Weight 1 when present (the Python pipeline has no per-property weight).
    public required Label<double> TotalCharge { get; init; }

    /// Fermi level μ (eV).
    public required Label<double> FermiLevel { get; init; }

    /// External field [3] (V/Å). An input, not a target: weight 1 when present.
    public required Label<double[]> ExternalField { get; init; }

    /// Dipole [3] (e·Å). Weight 1 when present; per-component weights in <see cref="DipoleComponentWeights"/>.
    public required Label<double[]> Dipole { get; init; }

    /// config_dipole_weight [3] (e.g. 0 0 1 for slabs); zeros when the dipole is absent.
    public required double[] DipoleComponentWeights { get; init; }

    /// Stress [3, 3] (eV/Å³, (1/V) ∂E/∂ε as ASE and MACE); only periodic frames with a cell carry it.
    public Label<double[,]> Stress { get; init; } = Label<double[,]>.Absent;

    /// Virials [3, 3] (eV, −∂E/∂ε); only frames with a cell carry them.
    public Label<double[,]> Virials { get; init; } = Label<double[,]>.Absent;

    /// Polarizability [3, 3] (e·Å²/V, ∂P/∂E at the frame's own ensemble).
    public Label<double[,]> Polarizability { get; init; } = Label<double[,]>.Absent;

    /// Born effective charges [N, 9] (e, row-major ∂P_α/∂r_iβ per atom).
    public Label<double[,]> BornCharges { get; init; } = Label<double[,]>.Absent;

    /// Formal charges q⁰ [N] (e) of LocalSplitCharges with formal_charges_from_data. An input, not a target: weight 1 when present.
    public Label<double[]> FormalCharges { get; init; } = Label<double[]>.Absent;

    /// Electrostatic potential at each atom [N] (V).
    public required Label<double[]> ElectrostaticPotentials { get; init; }
}
