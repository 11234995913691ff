using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Foundation;

/// The native libtorch glue loads on this machine, and the operations the model relies on work.
public class TorchSharpLoadsTests
{
    [Fact]
    public void DoubleBackwardGivesTheSecondDerivative()
    {
        using var scope = NewDisposeScope();
        var x = tensor(new[] { 0.3, -1.2, 2.0 }, dtype: float64, requires_grad: true);
        using var three = 3.ToScalar();
        var y = (x.pow(three) * x.sin()).sum();
        var g = autograd.grad(new[] { y }, new[] { x }, retain_graph: true, create_graph: true)[0];
        var h = autograd.grad(new[] { g.sum() }, new[] { x })[0];
        var xs = new[] { 0.3, -1.2, 2.0 };
        for (int i = 0; i < 3; i++)
        {
            double v = xs[i];
            double expected = 6 * v * Math.Sin(v) + 6 * v * v * Math.Cos(v) - v * v * v * Math.Sin(v);
            Assert.Equal(expected, h[i].item<double>(), 12);
        }
    }

    [Fact]
    public void SolvesALinearSystem()
    {
        using var scope = NewDisposeScope();
        var a = tensor(new double[,] { { 4, 1, 0 }, { 1, 3, -1 }, { 0, -1, 2 } });
        var b = tensor(new double[] { 1, 2, 3 });
        var x = linalg.solve(a, b);
        var residual = (a.matmul(x) - b).abs().max().item<double>();
        Assert.True(residual < 1e-12, $"residual {residual}");
        Assert.Equal(ScalarType.Float64, x.dtype);
    }
}
