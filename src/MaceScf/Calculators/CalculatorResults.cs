using MaceScf.Electrostatics;
using MaceScf.FixedPoint;

namespace MaceScf.Calculators;

/// <summary>The properties a calculator can be asked to compute; the energy always is.</summary>
[Flags]
public enum CalculatorProperties
{
    /// <summary>The energy (always computed).</summary>
    Energy = 1,
    /// <summary>Forces −∂E/∂r.</summary>
    Forces = 2,
    /// <summary>Stress and virial (periodic structures).</summary>
    Stress = 4,
    /// <summary>Born effective charges Z* = ∂P/∂r (models with an SCF density; docs/response.md).</summary>
    BornCharges = 8,
    /// <summary>
    /// Polarizabilities ∂P/∂E at constant charge and at constant Fermi level (models with an SCF density; docs/response.md).
    /// </summary>
    Polarizability = 16,
}

/// <summary>
/// What a calculator computed for one structure (eV, Å, e, V). Outputs that were not asked for, or that the model does not
/// have, are null.
/// </summary>
/// <param name="Energy">eV</param>
/// <param name="Terms">the energy decomposition by name (eV), summing to <paramref name="Energy"/></param>
public sealed record CalculatorResults(double Energy, IReadOnlyDictionary<string, double> Terms)
{
    /// <summary>[N] per-atom energies E0 + readouts (eV) of a model that has them (plain MACE), else null.</summary>
    public double[]? NodeEnergies { get; init; }

    /// <summary>[N, 3] −∂E/∂r (eV/Å).</summary>
    public double[,]? Forces { get; init; }

    /// <summary>[3, 3] (1/V) ∂E/∂ε (eV/Å³).</summary>
    public double[,]? Stress { get; init; }

    /// <summary>[3, 3] −∂E/∂ε (eV).</summary>
    public double[,]? Virial { get; init; }

    /// <summary>[N] electronegativities χ (V) of a charge-equilibration model (MACEQEq), the applied field's potential included; else null.</summary>
    public double[]? Electronegativity { get; init; }

    /// <summary>[N] hardnesses J (V/e) of a charge-equilibration model (MACEQEq), else null.</summary>
    public double[]? Hardness { get; init; }

    /// <summary>[N, K] final density coefficients [q, p_y, p_z, p_x, …].</summary>
    public double[,]? Density { get; init; }

    /// <summary>Cartesian total dipole (e·Å).</summary>
    public double[]? Dipole { get; init; }

    /// <summary>Σ q (e).</summary>
    public double? TotalCharge { get; init; }

    /// <summary>The Fermi level (V) of the final density.</summary>
    public double? FermiLevel { get; init; }

    /// <summary>SCF outcome (null without an SCF).</summary>
    public ScfStatus? Status { get; init; }

    /// <summary>Number of SCF updates (0 without an SCF).</summary>
    public int Steps { get; init; }

    /// <summary>Mean |Δp| of every SCF update (empty without an SCF).</summary>
    public double[] History { get; init; } = [];

    /// <summary>
    /// How the forces and stress of this structure's batch were taken (implicit, or unrolled and why).
    /// </summary>
    public ForcesDerivation? Derivation { get; init; }

    /// <summary>[N] electrostatic potential at the atoms (V).</summary>
    public double[]? Potential { get; init; }

    /// <summary>[N, F] unnormalised field features.</summary>
    public double[,]? FieldFeatures { get; init; }

    /// <summary>
    /// [N, 9] Born effective charges Z*_i,αβ = ∂P_α/∂r_iβ (e), row-major per atom (xx, xy, xz, yx, …), in the ensemble of the
    /// SCF (docs/response.md).
    /// </summary>
    public double[,]? BornCharges { get; init; }

    /// <summary>
    /// [3, 3] polarizability α_αβ = ∂P_α/∂E_β at constant total charge (e·Å²/V; E = −external_field, the electric field).
    /// </summary>
    public double[,]? Polarizability { get; init; }

    /// <summary>[3, 3] polarizability at constant Fermi level (e·Å²/V).</summary>
    public double[,]? PolarizabilityAtFermiLevel { get; init; }

    /// <summary>
    /// With electrodes (docs/response.md): Σ q of every region (e), index 0 the electrolyte, r electrode r; else null.
    /// </summary>
    public double[]? RegionCharges { get; init; }

    /// <summary>
    /// With electrodes: the Fermi level of every region (V), the electrodes' given ones and the electrolyte's; else null.
    /// </summary>
    public double[]? RegionFermiLevels { get; init; }

    /// <summary>
    /// Why requested response properties are missing (the SCF did not converge, or a linear solve was poor), or null.
    /// </summary>
    public string? ResponseFailure { get; init; }

    /// <summary>
    /// The boundary method and the number of k-vectors of the electrostatics (Coulomb calculator).
    /// </summary>
    public (BoundaryMethod Method, int KVectorCount)? Electrostatics { get; init; }

    /// How the reciprocal-space part was evaluated (Coulomb calculator; null for realspace).
    internal KspaceSetup? Kspace { get; init; }

    /// <summary>What these results contain.</summary>
    public CalculatorProperties Properties =>
        CalculatorProperties.Energy | (Forces is null ? 0 : CalculatorProperties.Forces) | (Stress is null ? 0 : CalculatorProperties.Stress)
        | (BornCharges is null ? 0 : CalculatorProperties.BornCharges) | (Polarizability is null ? 0 : CalculatorProperties.Polarizability);
}
