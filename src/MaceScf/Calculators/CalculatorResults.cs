using MaceScf.Electrostatics;
using MaceScf.FixedPoint;

namespace MaceScf.Calculators;

/// The properties a calculator can be asked to compute; the energy always is.
[Flags]
public enum CalculatorProperties
{
    Energy = 1,
    Forces = 2,
    /// Stress and virial (periodic structures).
    Stress = 4,
    /// Born effective charges Z* = ∂P/∂r (models with an SCF density; docs/response.md).
    BornCharges = 8,
    /// Polarizabilities ∂P/∂E at constant charge and at constant Fermi level (models with an SCF density; docs/response.md).
    Polarizability = 16,
}

/// What a calculator computed for one structure (eV, Å, e, V). Outputs that were not asked for, or that the model does not
/// have, are null.
/// <param name="Energy">eV</param>
/// <param name="Terms">the energy decomposition by name (eV), summing to <paramref name="Energy"/></param>
public sealed record CalculatorResults(double Energy, IReadOnlyDictionary<string, double> Terms)
{
    /// [N] per-atom energies E0 + readouts (eV) of a model that has them (plain MACE), else null.
    public double[]? NodeEnergies { get; init; }

    /// [N, 3] −∂E/∂r (eV/Å).
    public double[,]? Forces { get; init; }

    /// [3, 3] (1/V) ∂E/∂ε (eV/Å³).
    public double[,]? Stress { get; init; }

    /// [3, 3] −∂E/∂ε (eV).
    public double[,]? Virial { get; init; }

    /// [N, K] final density coefficients [q, p_y, p_z, p_x, …].
    public double[,]? Density { get; init; }

    /// Cartesian total dipole (e·Å).
    public double[]? Dipole { get; init; }

    /// Σ q (e).
    public double? TotalCharge { get; init; }

    /// The Fermi level (V) of the final density.
    public double? FermiLevel { get; init; }

    /// SCF outcome, number of updates and mean |Δp| of every update (null / 0 / empty without an SCF).
    public ScfStatus? Status { get; init; }

    public int Steps { get; init; }

    public double[] History { get; init; } = [];

    /// How the forces and stress of this structure's batch were taken (implicit, or unrolled and why).
    public ForcesDerivation? Derivation { get; init; }

    /// [N] electrostatic potential at the atoms (V).
    public double[]? Potential { get; init; }

    /// [N, F] unnormalised field features.
    public double[,]? FieldFeatures { get; init; }

    /// [N, 9] Born effective charges Z*_i,αβ = ∂P_α/∂r_iβ (e), row-major per atom (xx, xy, xz, yx, …), in the ensemble of the
    /// SCF (docs/response.md).
    public double[,]? BornCharges { get; init; }

    /// [3, 3] polarizability α_αβ = ∂P_α/∂E_β at constant total charge (e·Å²/V; E = −external_field, the electric field).
    public double[,]? Polarizability { get; init; }

    /// [3, 3] polarizability at constant Fermi level (e·Å²/V).
    public double[,]? PolarizabilityAtFermiLevel { get; init; }

    /// Why requested response properties are missing (the SCF did not converge, or a linear solve was poor), or null.
    public string? ResponseFailure { get; init; }

    /// The boundary method and the number of k-vectors of the electrostatics (Coulomb calculator).
    public (BoundaryMethod Method, int KVectorCount)? Electrostatics { get; init; }

    /// How the reciprocal-space part was evaluated (Coulomb calculator; null for realspace).
    internal KspaceSetup? Kspace { get; init; }

    /// What these results contain.
    public CalculatorProperties Properties =>
        CalculatorProperties.Energy | (Forces is null ? 0 : CalculatorProperties.Forces) | (Stress is null ? 0 : CalculatorProperties.Stress)
        | (BornCharges is null ? 0 : CalculatorProperties.BornCharges) | (Polarizability is null ? 0 : CalculatorProperties.Polarizability);
}
