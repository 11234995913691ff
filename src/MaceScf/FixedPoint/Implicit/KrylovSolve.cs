using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// A linear operator J given by matrix-free products: J u (Jacobian–vector) and Jᵀ v (vector–Jacobian); the solves with it
/// record their relative residuals in <paramref name="Report"/> when one is given. <paramref name="Scale"/> is the size of the
/// solution the forward solve corrects (the Newton step J⁻¹R of a converged y_ref: ‖y_ref‖): that solve's residual is measured
/// against max(‖R‖, Scale), so a tiny R(y_ref) is not solved to a relative precision far below the rounding of R itself
/// (docs/fixed-point.md, "Forces: implicit or unrolled"); the adjoint solve's against ‖∂L/∂Δ‖, to <paramref name="AdjointTolerance"/>
/// (null: <paramref name="Tolerance"/>). <paramref name="Preconditioner"/>: an approximate inverse of J whose products right-precondition
/// both solves (M⁻¹ the forward, M⁻ᵀ the adjoint), or null.
internal sealed record LinearOperator(Func<Tensor, Tensor> Apply, Func<Tensor, Tensor> ApplyTransposed, int MaxIterations, double Tolerance,
    KrylovReport? Report = null, double Scale = 0, double? AdjointTolerance = null, LongWavelengthPreconditioner? Preconditioner = null);

/// <summary>
/// The worst relative residual ‖b − A x‖ / ‖b‖ that the GMRES solves of one operator (forward and adjoint) reached.
/// </summary>
public sealed class KrylovReport
{
    /// <summary>The largest relative residual of the adjoint solves.</summary>
    public double WorstResidual { get; private set; }

    /// <summary>Jacobian–vector products of the forward (Newton) solves.</summary>
    public int ForwardProducts { get; private set; }

    /// <summary>Vector–Jacobian products of the adjoint solves (counted once the backward pass ran).</summary>
    public int AdjointProducts { get; private set; }

    /// <summary>Long-wavelength modes (half-space G) of the solves' preconditioner; 0 without one (docs/fixed-point.md).</summary>
    public int PreconditionerModes { get; private set; }

    internal void RecordPreconditioner(int modes) => PreconditionerModes = modes;

    internal void Record(double relativeResidual) =>
        WorstResidual = double.IsNaN(relativeResidual) ? double.PositiveInfinity : Math.Max(WorstResidual, relativeResidual);

    internal void CountForward() => ForwardProducts++;

    internal void CountAdjoint() => AdjointProducts++;
}

/// Δ = J⁻¹ r by GMRES with Jacobian–vector products, differentiable in r: the backward pass solves the adjoint system
/// Jᵀ w = ∂L/∂Δ by GMRES with vector–Jacobian products (the implicit-differentiation adjoint solve). J itself is a constant.
internal sealed class KrylovSolve : autograd.SingleTensorFunction<KrylovSolve>
{
    public override string Name => nameof(KrylovSolve);

    /// vars: r [D], <see cref="LinearOperator"/>.
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var op = (LinearOperator)vars[1];
        ctx.save_data("operator", op);
        var (solution, residual) = Gmres.Solve(op.Apply, ((Tensor)vars[0]).detach(), op.Tolerance, op.MaxIterations, op.Scale,
            op.Preconditioner is { } m ? m.Apply : null);
        op.Report?.Record(residual);
        return solution;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
    {
        var op = (LinearOperator)ctx.get_data("operator");
        try
        {
            var (adjoint, residual) = Gmres.Solve(op.ApplyTransposed, gradient.detach(), op.AdjointTolerance ?? op.Tolerance, op.MaxIterations,
                precondition: op.Preconditioner is { } m ? m.ApplyTransposed : null);
            op.Report?.Record(residual);
            // One gradient per argument: r, then none for the operator.
            return [adjoint, null!];
        }
        catch (Exception e)
        {
            // This runs inside libtorch's backward pass, which an exception cannot cross without aborting the process: the
            // caller of the gradient throws it (Gradients). The gradient returned (the incoming one, nothing allocated) is unused.
            Gradients.RecordFailure(e);
            op.Report?.Record(double.NaN);
            return [gradient, null!];
        }
    }
}
