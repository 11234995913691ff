using System.Runtime.InteropServices;
using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Tests.Foundation;

/// Gradients whose backward pass fails inside libtorch arrive as exceptions
/// (docs/errors.md, "Failures in the backward pass"): TorchSharp's autograd.grad aborted the process on them. An error
/// raised by the backward engine itself (a second backward through a freed graph) stands in for a failed allocation:
/// both are thrown inside the same pass.
public sealed class GradientsTests
{
    [Fact]
    public void AreThoseOfAutogradGrad()
    {
        using var scope = NewDisposeScope();
        var x = randn(5, dtype: ScalarType.Float64).requires_grad_(true);
        var h = x.Times(3);
        var y = (h * h * x).sum();
        var expected = autograd.grad([y], [x, h], retain_graph: true);
        var got = Gradients.Of([y], [x, h], retainGraph: true);
        Assert.Equal(0, (expected[0] - got[0]).abs().max().item<double>());
        Assert.Equal(0, (expected[1] - got[1]).abs().max().item<double>());
        Assert.Null(x.grad);
        Assert.Null(h.grad);
        var unused = ones(2, dtype: ScalarType.Float64).requires_grad_(true);
        Assert.Null(Gradients.Of([y], [unused], retainGraph: true, allowUnused: true)[0]);
        Assert.Throws<InvalidOperationException>(() => Gradients.Of([y], [unused], retainGraph: true));
    }

    [Fact]
    public void SecondDerivativesFollowTheGraph()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, dtype: ScalarType.Float64).requires_grad_(true);
        var y = (x * x * x).sum();
        var g = Gradients.Of([y], [x], createGraph: true)[0];
        var second = Gradients.Of([g.sum()], [x])[0];
        Assert.True((second - x.Times(6)).abs().max().item<double>() < 1e-14);
    }

    [Fact]
    public void AFailureInsideTheBackwardPassIsAnExceptionNotACrash()
    {
        using var scope = NewDisposeScope();
        var x = randn(4, dtype: ScalarType.Float64).requires_grad_(true);
        var y = (x * x).sum();
        Gradients.Of([y], [x]);
        var error = Assert.Throws<BackwardPassException>(() => Gradients.Of([y], [x]));
        Assert.StartsWith("in the backward pass: ", error.Message);
        Assert.Contains("backward through the graph a second time", error.Message);
    }

    /// The adjoint solve of <see cref="KrylovSolve"/> runs in C# inside the native backward pass: its failure is recorded and
    /// thrown to the caller of the gradient.
    [Fact]
    public void AFailureInTheAdjointSolveReachesTheCaller()
    {
        using var scope = NewDisposeScope();
        var freed = randn(3, dtype: ScalarType.Float64).requires_grad_(true);
        var spent = (freed * freed).sum();
        Gradients.Of([spent], [freed]);
        var op = new LinearOperator(u => u.Times(2), v => Gradients.Of([spent], [freed])[0], 3, 1e-12);
        var r = randn(3, dtype: ScalarType.Float64).requires_grad_(true);
        var delta = KrylovSolve.apply(r, op);
        var error = Assert.Throws<BackwardPassException>(() => Gradients.Of([delta.sum()], [r]));
        Assert.StartsWith("in the backward pass: ", error.Message);
        Assert.DoesNotContain("in the backward pass: in the backward pass", error.Message);
        // Nothing is left recorded for the next gradient.
        Assert.True((Gradients.Of([(r * r).sum()], [r])[0] - r.Times(2)).abs().max().item<double>() == 0);
    }
}
