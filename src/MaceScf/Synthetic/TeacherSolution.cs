using MaceScf.Electrostatics;

namespace MaceScf.Synthetic;

/// The teacher's labels of one structure (eV, Å, e).
internal sealed record TeacherSolution
{
    /// [N, 4] coefficients [q, p_y, p_z, p_x] of the minimising density.
    public required double[,] Multipoles { get; init; }

    /// The label energy: the minimised functional, E at constant charge and the grand potential
    /// Ω = E + μQ at constant Fermi level (with electrodes, + Σ_r μ_r Q_r of the electrodes), so that the forces are exactly
    /// its negative gradient.
    public required double Energy { get; init; }

    /// E(p*; R) without the reservoir term (equal to <see cref="Energy"/> at constant charge).
    public required double InternalEnergy { get; init; }

    public required double CoulombEnergy { get; init; }

    public required double ShortRangeEnergy { get; init; }

    /// −∂Energy/∂R (eV/Å), [N, 3].
    public required double[,] Forces { get; init; }

    /// With electrodes, Σ q of every region 0..R (e; 0 the electrolyte), else null.
    public double[]? RegionCharges { get; init; }

    /// μ = −∂E/∂q_i (eV; with electrodes, of the electrolyte's atoms).
    public required double FermiLevel { get; init; }

    /// Σ q_i (e).
    public required double TotalCharge { get; init; }

    /// P = Σ q r + Σ d (e·Å).
    public required double[] Dipole { get; init; }

    /// (1/V) ∂Energy/∂ε (eV/Å³), [3, 3], the strain derivative at the solved density (the library's stress convention);
    /// for fully periodic structures only, else null.
    public double[,]? Stress { get; init; }

    /// Boundary method used (auto and mixed_periodic resolved).
    public required BoundaryMethod Method { get; init; }
}
