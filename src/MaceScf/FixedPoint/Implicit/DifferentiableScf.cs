using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// How the derivatives of a batch were taken: the method used and, when the implicit method fell back to the unroll, why.
public sealed record ForcesDerivation(ForcesMethod Method, string? FallbackReason = null)
{
    public bool FellBack => FallbackReason is not null;
}

/// The SCF solution of a batch, differentiable with respect to the geometry for forces and stress (<see cref="ForcesMethod"/>).
/// Implicit: converge without a graph, then one Newton step from the converged (ρ, μ) with the implicit-function-theorem
/// derivative (<see cref="LinearizedSolution"/>), so the backward pass is one adjoint solve instead of a pass through every
/// update. A batch in which a structure did not converge, or whose solve is poor, is run again unrolled: its derivative is
/// then that of the SCF that was run, never a wrong implicit one.
public static class DifferentiableScf
{
    /// Unknowns D = N·K (+ G) above which forces use GMRES rather than the dense Jacobian (D vector–Jacobian products), measured
    /// with `fixedpoint-timing`; see docs/benchmarks.md.
    public const int DenseLimit = 64;

    public static (ScfResult Scf, ForcesDerivation Derivation) Run(FixedPointGeometry geometry, ScfOptions options, Tensor density,
        Tensor fermiLevel, Tensor targetCharge, int denseLimit = DenseLimit)
    {
        if (options.ForcesMethod == ForcesMethod.Unroll)
            return (ScfRunner.Run(geometry, options, density, fermiLevel, targetCharge, keepGraph: true), new ForcesDerivation(ForcesMethod.Unroll));
        var scf = ScfRunner.Run(geometry, options, density, fermiLevel, targetCharge, keepGraph: false);
        string? reason = scf.AllConverged ? null : "SCF not converged";
        if (reason is null)
        {
            var solved = LinearizedSolution.Solve(geometry, scf.Density, scf.FermiLevel, targetCharge, options.ConstantCharge,
                differentiableJacobian: false, denseLimit);
            if (solved is { } s)
                return (scf with { Density = s.Density, FermiLevel = s.FermiLevel, Features = geometry.Features(s.Density,
                    s.FermiLevel.index_select(0, geometry.Batch)) }, new ForcesDerivation(ForcesMethod.Implicit));
            reason = "implicit solve poor";
        }
        return (ScfRunner.Run(geometry, options, density, fermiLevel, targetCharge, keepGraph: true), new ForcesDerivation(ForcesMethod.Unroll, reason));
    }
}
