using MaceScf.Equivariant;
using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The update's "dot_products" block (<see cref="InvariantDotProducts"/>) mixes b with the path weights before the inner products
/// (⟨a_u, Σ_v w_uv b_v⟩): equal to the definition s_u = Σ_paths Σ_v w_uv ⟨a_u, b_v⟩ / √(2l+1) / √(fan_in) to 1e-12.
public class InvariantDotProductsTests
{
    [Fact]
    public void TheMixedFormEqualsTheSumOfInnerProducts()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var irrepsA = Irreps.Parse("4x0e+4x1o+4x2e");
        var irrepsB = Irreps.Parse("3x0e+5x1o+2x1e+3x2e");
        using var block = new InvariantDotProducts(irrepsA, irrepsB);
        var a = randn(7, irrepsA.Dim, dtype: float64);
        var b = randn(7, irrepsB.Dim, dtype: float64);
        var got = block.forward(a, b);

        // Paths pair the equal irreps: 0e–0e (3 channels of b), 1o–1o (5), 2e–2e (3); 1e has no partner in a.
        int[] offsetsA = irrepsA.Offsets(), offsetsB = irrepsB.Offsets();
        var paths = new (int A, int B, int Dim, int MulB)[] { (0, 0, 1, 3), (1, 1, 3, 5), (2, 3, 5, 3) };
        double norm = 1 / Math.Sqrt(paths.Sum(p => p.MulB));
        var want = zeros(7, 4, dtype: float64);
        for (int k = 0; k < paths.Length; k++)
        {
            var (i, j, d, mulB) = paths[k];
            var w = block.get_parameter($"weight_{k}")!;
            for (int u = 0; u < 4; u++)
            for (int v = 0; v < mulB; v++)
            {
                var au = a.narrow(1, offsetsA[i] + u * d, d);
                var bv = b.narrow(1, offsetsB[j] + v * d, d);
                want[.., u] = want[.., u].Plus((w[u, v] * (au * bv).sum(1)).DividedBy(Math.Sqrt(d)).Times(norm));
            }
        }
        Assert.True(want.abs().max().item<double>() > 0.1);
        Assert.True((got - want).abs().max().item<double>() < 1e-12);
    }
}
