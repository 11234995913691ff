using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Δ = J⁻¹ r by GMRES, differentiable in r (the backward pass solves Jᵀ w = g), with the residuals of both solves recorded.
public sealed class KrylovSolveTests
{
    static (Tensor J, LinearOperator Op) Operator(int maxIterations, KrylovReport report)
    {
        random.manual_seed(5);
        var j = eye(12, dtype: ScalarType.Float64) + 0.3 * randn(12, 12, dtype: ScalarType.Float64);
        return (j, new LinearOperator(u => j.matmul(u), v => j.t().matmul(v), maxIterations, 1e-12, report));
    }

    [Fact]
    public void SolvesForwardAndAdjointAndRecordsSmallResiduals()
    {
        using var scope = NewDisposeScope();
        var report = new KrylovReport();
        var (j, op) = Operator(12, report);
        var r = randn(12, dtype: ScalarType.Float64).requires_grad_(true);
        var delta = KrylovSolve.apply(r, op);
        Assert.True((j.matmul(delta) - r).abs().max().item<double>() < 1e-10);
        var g = randn(12, dtype: ScalarType.Float64);
        var w = autograd.grad([delta], [r], [g])[0];
        Assert.True((j.t().matmul(w) - g).abs().max().item<double>() < 1e-10, "the gradient is J⁻ᵀ g");
        Assert.InRange(report.WorstResidual, 0, 1e-10);
    }

    /// An adjoint solve that stops early (here Jᵀ is not the transpose of J and needs more than 12 iterations) is recorded in the
    /// backward pass, after the forward solve was fine: the implicit forces then fall back to the unroll.
    [Fact]
    public void RecordsAnUnconvergedAdjointSolve()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(6);
        var a = eye(40, dtype: ScalarType.Float64) + 0.5 * randn(40, 40, dtype: ScalarType.Float64);
        var report = new KrylovReport();
        var op = new LinearOperator(u => 2 * u, v => a.matmul(v), 12, 1e-12, report);
        var r = randn(40, dtype: ScalarType.Float64).requires_grad_(true);
        var delta = KrylovSolve.apply(r, op);
        Assert.InRange(report.WorstResidual, 0, 1e-12);
        autograd.grad([delta], [r], [ones_like(delta)]);
        Assert.True(report.WorstResidual > LinearizedSolution.KrylovResidualLimit, $"{report.WorstResidual}");
    }
}
