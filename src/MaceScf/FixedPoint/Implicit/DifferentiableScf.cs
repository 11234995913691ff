using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// How the derivatives of a batch were taken: the method used and, when the implicit method fell back to the unroll, why.
/// <param name="Krylov">implicit, matrix-free: the GMRES residuals, including the adjoint solve once the backward pass ran</param>
public sealed record ForcesDerivation(ForcesMethod Method, string? FallbackReason = null, KrylovReport? Krylov = null)
{
    public bool FellBack => FallbackReason is not null;

    /// False when a GMRES solve stopped above <see cref="LinearizedSolution.KrylovResidualLimit"/>: the implicit derivative is poor.
    public bool SolvesConverged => Krylov is null || Krylov.WorstResidual <= LinearizedSolution.KrylovResidualLimit;
}

/// The SCF solution of a batch, differentiable with respect to the geometry for forces and stress (<see cref="ForcesMethod"/>).
/// Implicit: converge without a graph, then one Newton step from the converged (ρ, μ) with the implicit-function-theorem
/// derivative (<see cref="LinearizedSolution"/>), so the backward pass is one adjoint solve, Jᵀ w = ∂E/∂y, instead of a pass
/// through every update. A batch in which a structure did not converge, or whose solve is poor, is run again unrolled: its
/// derivative is then that of the SCF that was run, never a wrong implicit one.
public static class DifferentiableScf
{
    /// Unknowns D = N·K (+ G) up to which forces build the dense Jacobian (D vector–Jacobian products) instead of using GMRES
    /// (a few Jacobian–vector products forward and vector–Jacobian products in the adjoint solve). Measured with
    /// `fixedpoint-timing --dense-limit` (docs/benchmarks.md): GMRES was already 3–5× cheaper at D = 33, so forces are always
    /// matrix-free; the dense path stays selectable.
    public const int DenseLimit = 0;

    public static (ScfResult Scf, ForcesDerivation Derivation) Run(FixedPointGeometry geometry, ScfOptions options, Tensor density,
        Tensor fermiLevel, Tensor targetCharge, int denseLimit = DenseLimit)
    {
        if (options.ForcesMethod == ForcesMethod.Unroll) return (Unrolled(geometry, options, density, fermiLevel, targetCharge), new(ForcesMethod.Unroll));
        var scf = ScfRunner.Run(geometry, options, density, fermiLevel, targetCharge, keepGraph: false);
        if (!scf.AllConverged)
            return (Unrolled(geometry, options, density, fermiLevel, targetCharge), new(ForcesMethod.Unroll, "SCF not converged"));
        var krylov = new KrylovReport();
        var solved = LinearizedSolution.Solve(geometry, scf.Density, scf.FermiLevel, targetCharge, options.ConstantCharge,
            differentiableJacobian: false, denseLimit, krylov);
        if (solved is not { } s || krylov.WorstResidual > LinearizedSolution.KrylovResidualLimit)
            return (Unrolled(geometry, options, density, fermiLevel, targetCharge), new(ForcesMethod.Unroll, "implicit solve poor"));
        var features = geometry.Features(s.Density, s.FermiLevel.index_select(0, geometry.Batch));
        return (scf with { Density = s.Density, FermiLevel = s.FermiLevel, Features = features }, new(ForcesMethod.Implicit, Krylov: krylov));
    }

    static ScfResult Unrolled(FixedPointGeometry geometry, ScfOptions options, Tensor density, Tensor fermiLevel, Tensor targetCharge) =>
        ScfRunner.Run(geometry, options, density, fermiLevel, targetCharge, keepGraph: true);
}
