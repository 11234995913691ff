using MaceScf.FixedPoint;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The Jacobian of a residual made of independent blocks (the frames of a batch) from one vector–Jacobian product per unknown of
/// the largest block equals the Jacobian built row by row, and stays differentiable.
public sealed class BlockJacobianTests
{
    /// Blocks of 3, 1 and 2 unknowns, interleaved as [0, 0, 1, 2, 0, 2]: R_u = tanh(Σ_{v in b(u)} A_uv y_v) + y_u² θ.
    static Tensor Residual(Tensor y, Tensor a, Tensor theta, long[] block)
    {
        var blocks = tensor(block);
        var mask = blocks.unsqueeze(1).eq(blocks.unsqueeze(0)).to(float64);
        return tanh((a * mask).matmul(y)).Plus(y * y * theta);
    }

    [Fact]
    public void EqualsTheRowByRowJacobianWithOneProductPerUnknownOfTheLargestBlock()
    {
        using var scope = NewDisposeScope();
        random.manual_seed(3);
        long[] block = [0, 0, 1, 2, 0, 2];
        var a = randn(6, 6, dtype: float64);
        var theta = tensor(0.7, dtype: float64).requires_grad_(true);
        var y = randn(6, dtype: float64).requires_grad_(true);
        var r = Residual(y, a, theta, block);
        int products = 0;
        var j = BlockJacobian.Of(r, y, block, createGraph: true, () => products++);
        Assert.Equal(3, products);
        var rows = Enumerable.Range(0, 6).Select(i => autograd.grad([r], [y], [eye(6, dtype: float64)[i]],
            retain_graph: true, create_graph: true)[0]).ToArray();
        var reference = stack(rows);
        Assert.True((j - reference).abs().max().item<double>() < 1e-14, "J = row-by-row J");
        var dj = autograd.grad([j.sum()], [theta], retain_graph: true)[0].item<double>();
        var dref = autograd.grad([reference.sum()], [theta])[0].item<double>();
        Assert.True(Math.Abs(dj - dref) < 1e-13, $"∂ΣJ/∂θ {dj} vs {dref}");
    }
}
