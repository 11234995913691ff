using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// A linear operator J given by matrix-free products: J u (Jacobian–vector) and Jᵀ v (vector–Jacobian).
public sealed record LinearOperator(Func<Tensor, Tensor> Apply, Func<Tensor, Tensor> ApplyTransposed, int MaxIterations, double Tolerance);

/// Δ = J⁻¹ r by GMRES with Jacobian–vector products, differentiable in r: the backward pass solves the adjoint system
/// Jᵀ w = ∂L/∂Δ by GMRES with vector–Jacobian products (the implicit-differentiation adjoint solve). J itself is a constant.
public sealed class KrylovSolve : autograd.SingleTensorFunction<KrylovSolve>
{
    public override string Name => nameof(KrylovSolve);

    /// vars: r [D], <see cref="LinearOperator"/>.
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var op = (LinearOperator)vars[1];
        ctx.save_data("operator", op);
        return Gmres.Solve(op.Apply, ((Tensor)vars[0]).detach(), op.Tolerance, op.MaxIterations).Solution;
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
    {
        var op = (LinearOperator)ctx.get_data("operator");
        // One gradient per argument: r, then none for the operator.
        return [Gmres.Solve(op.ApplyTransposed, gradient.detach(), op.Tolerance, op.MaxIterations).Solution, null!];
    }
}
