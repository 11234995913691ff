using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Δ = J⁻¹ r by GMRES, differentiable in r (the backward pass solves Jᵀ w = g), with the residuals of both solves recorded.
public sealed class KrylovSolveTests
{
    static (Tensor J, LinearOperator Op) Operator(int maxIterations, KrylovReport report)
    {
        random.manual_seed(5);
        var j = eye(12, dtype: ScalarType.Float64).Plus(randn(12, 12, dtype: ScalarType.Float64).Times(0.3));
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
        var a = eye(40, dtype: ScalarType.Float64).Plus(randn(40, 40, dtype: ScalarType.Float64).Times(0.5));
        var report = new KrylovReport();
        var op = new LinearOperator(u => u.Times(2), v => a.matmul(v), 12, 1e-12, report);
        var r = randn(40, dtype: ScalarType.Float64).requires_grad_(true);
        var delta = KrylovSolve.apply(r, op);
        Assert.InRange(report.WorstResidual, 0, 1e-12);
        autograd.grad([delta], [r], [ones_like(delta)]);
        Assert.True(report.WorstResidual > LinearizedSolution.KrylovResidualLimit, $"{report.WorstResidual}");
    }
    /// The same products give the same bits (docs/errors.md, "Reproducibility"): the small least-squares problem is solved by
    /// Givens rotations in managed code. libtorch's lstsq, used before, returned different last bits for identical input in most calls.
    [Fact]
    public void RepeatedSolvesGiveIdenticalBits()
    {
        using var scope = NewDisposeScope();
        var (_, op) = Operator(12, new KrylovReport());
        random.manual_seed(7);
        var b = randn(12, dtype: ScalarType.Float64);
        var first = Gmres.Solve(op.Apply, b, 1e-12, 12).Solution.data<double>().ToArray();
        for (int run = 0; run < 20; run++)
        {
            using var inner = NewDisposeScope();
            var again = Gmres.Solve(op.Apply, b.clone(), 1e-12, 12).Solution.data<double>().ToArray();
            Assert.Equal(first.Select(BitConverter.DoubleToInt64Bits), again.Select(BitConverter.DoubleToInt64Bits));
        }
    }

    /// The least-squares residual of GMRES from the rotated right-hand side equals ‖b − A x‖ / ‖b‖ computed directly, and the
    /// solution of a system GMRES cannot finish in 5 products is the minimiser over the 5-dimensional Krylov space.
    [Fact]
    public void EarlyStopReturnsTheKrylovMinimiserAndItsResidual()
    {
        using var scope = NewDisposeScope();
        var (j, op) = Operator(12, new KrylovReport());
        random.manual_seed(8);
        var b = randn(12, dtype: ScalarType.Float64);
        var (x, residual) = Gmres.Solve(op.Apply, b, 1e-14, 5);
        double direct = ((b - j.matmul(x)).norm() / b.norm()).item<double>();
        Assert.Equal(direct, residual, 1e-12);
        Assert.True(residual > 1e-6, "5 products cannot solve a random 12 × 12 system");
        // The Krylov basis [b, Jb, …, J⁴b]; its least-squares minimiser by a dense solve.
        var columns = new List<Tensor> { b };
        for (int i = 1; i < 5; i++) columns.Add(j.matmul(columns[^1]));
        var k = stack(columns, 1);
        var normal = j.matmul(k);
        var c = linalg.solve(normal.t().matmul(normal), normal.t().matmul(b.unsqueeze(1)));
        Assert.True((k.matmul(c).squeeze(1) - x).abs().max().item<double>() < 1e-9);
    }

    /// A Newton step's right-hand side is the small residual of a converged solution: with <c>scale</c> (the solution's size) the
    /// solve stops once ‖b − A x‖ ≤ tolerance · scale, reports ‖b − A x‖ / scale, and needs fewer products than the solve relative
    /// to the tiny ‖b‖ (which would chase a precision below the rounding of b itself).
    [Fact]
    public void AScaleAboveTheRightHandSideStopsAtThePrecisionOfTheSolution()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(9);
        // Eigenvalues within about 0.1 of 1: each product gains about a decade.
        var j = eye(40, dtype: ScalarType.Float64).Plus(randn(40, 40, dtype: ScalarType.Float64).Times(0.1 / Math.Sqrt(40)));
        Tensor Apply(Tensor u) => j.matmul(u);
        var b = randn(40, dtype: ScalarType.Float64).Times(1e-6);
        int products = 0, scaledProducts = 0;
        var (_, relative) = Gmres.Solve(u => { products++; return j.matmul(u); }, b, 1e-12, 40);
        var (x, scaled) = Gmres.Solve(u => { scaledProducts++; return j.matmul(u); }, b, 1e-12, 40, scale: 1.0);
        double direct = (b - j.matmul(x)).norm().item<double>();
        Assert.InRange(direct, 0, 1e-12);
        Assert.Equal(direct, scaled, 1e-15);
        Assert.InRange(relative, 0, 1e-12);
        Assert.True(scaledProducts < products, $"{scaledProducts} products with the scale, {products} without");
        // A scale below ‖b‖ changes nothing.
        var (same, _) = Gmres.Solve(Apply, b, 1e-12, 40, scale: 1e-9);
        Assert.Equal(0, (same - Gmres.Solve(Apply, b, 1e-12, 40).Solution).abs().max().item<double>());
    }

    /// The adjoint solve of the backward pass stops at the operator's own tolerance (forces need less than the forward Newton step).
    [Fact]
    public void TheAdjointSolveStopsAtItsOwnTolerance()
    {
        using var scope = NewDisposeScope();
        var report = new KrylovReport();
        var (j, plain) = Operator(12, report);
        int forward = 0, backward = 0;
        var op = plain with
        {
            Apply = u => { forward++; return j.matmul(u); }, ApplyTransposed = v => { backward++; return j.t().matmul(v); }, AdjointTolerance = 1e-3,
        };
        var r = randn(12, dtype: ScalarType.Float64).requires_grad_(true);
        var delta = KrylovSolve.apply(r, op);
        Assert.InRange(report.WorstResidual, 0, 1e-12);
        var g = randn(12, dtype: ScalarType.Float64);
        var w = autograd.grad([delta], [r], [g])[0];
        double adjoint = ((j.t().matmul(w) - g).norm() / g.norm()).item<double>();
        Assert.InRange(adjoint, 1e-12, 1e-3);
        Assert.Equal(adjoint, report.WorstResidual, 1e-12);
        Assert.True(backward < forward, $"{backward} adjoint, {forward} forward products");
    }
}
