namespace MaceScf.FixedPoint;

/// <summary>
/// How the derivatives of a batch were taken: the method used and, when the implicit method fell back to the unroll, why.
/// </summary>
/// <param name="Method">the method the derivatives were taken with</param>
/// <param name="FallbackReason">why the implicit method fell back to the unroll, or null</param>
/// <param name="Krylov">implicit, matrix-free: the GMRES residuals, including the adjoint solve once the backward pass ran</param>
public sealed record ForcesDerivation(ForcesMethod Method, string? FallbackReason = null, KrylovReport? Krylov = null)
{
    /// <summary>Whether the implicit method fell back to the unrolled SCF.</summary>
    public bool FellBack => FallbackReason is not null;

    /// <summary>
    /// False when a GMRES solve stopped above <see cref="LinearizedSolution.KrylovResidualLimit"/>: the implicit derivative is poor.
    /// </summary>
    public bool SolvesConverged => Krylov is null || Krylov.WorstResidual <= LinearizedSolution.KrylovResidualLimit;
}

/// The one fall-back policy of the fixed-point model, in training and inference alike (docs/design.md, "One door per model"):
/// a batch is differentiated implicitly only when every structure converged, the linearised solve is acceptable and every
/// GMRES solve (forward, and the adjoint solve of the backward pass) reached <see cref="LinearizedSolution.KrylovResidualLimit"/>;
/// otherwise it is run again with the SCF unrolled on the graph, so its derivative is that of the SCF that was run, never a
/// wrong implicit one. The reason is reported in <see cref="ForcesDerivation.FallbackReason"/>.
internal static class ImplicitFallback
{
    public const string NotConverged = "SCF not converged";
    public const string PoorSolve = "implicit solve poor";

    /// Why the SCF result cannot be differentiated implicitly, or null.
    public static string? ScfReason(ScfResult scf) => scf.AllConverged ? null : NotConverged;

    /// Why a linearised solution (null when rejected) cannot be used, or null.
    public static string? SolveReason(bool accepted, KrylovReport krylov) =>
        !accepted || krylov.WorstResidual > LinearizedSolution.KrylovResidualLimit ? PoorSolve : null;

    /// Why an implicit derivative whose backward pass has run is poor (its adjoint GMRES solve), or null.
    public static string? AdjointReason(ForcesDerivation? derivation) =>
        derivation is { Method: ForcesMethod.Implicit, SolvesConverged: false }
            ? $"implicit adjoint solve poor (GMRES relative residual {derivation.Krylov!.WorstResidual:E1})"
            : null;

    /// The SCF settings of the replacing unroll: the same SCF, or, with a step limit (training keeps the graph small), as many
    /// steps as the SCF took (at least 2, at most the limit).
    public static ScfOptions UnrollOptions(ScfOptions options, ScfResult scf, int? stepLimit) =>
        stepLimit is int limit ? options with { NumScfSteps = Math.Clamp(scf.Steps.Max() + 1, 2, limit) } : options;
}
