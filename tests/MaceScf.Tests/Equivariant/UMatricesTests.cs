using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

public class UMatricesTests(ITestOutputHelper output)
{
    /// Every case of the MACE 0.3.14 / e3nn 0.4.4 table reproduced exactly, column order and signs included.
    [Fact]
    public void MatchMaceReferenceExactly()
    {
        using var scope = NewDisposeScope();
        var cases = Reference.Load("U_matrices.json").GetProperty("cases");
        double worst = 0;
        int count = 0;
        foreach (var c in cases.EnumerateObject())
        {
            using var inner = NewDisposeScope();
            var parts = c.Name.Split('|').Select(p => p.Split('=')[1]).ToArray();
            var u = UMatrices.Real(Irreps.Parse(parts[0]), Irrep.Parse(parts[1]), int.Parse(parts[2]));
            var shape = Reference.Shape(c.Value.GetProperty("shape"));
            Assert.Equal(shape, u.shape);
            var err = Reference.MaxDiff(u, tensor(Reference.Flatten(c.Value.GetProperty("data")), shape, dtype: ScalarType.Float64));
            Assert.True(err < 1e-13, $"{c.Name}: {err}");
            worst = Math.Max(worst, err);
            count++;
        }
        output.WriteLine($"max |U - U_mace| over {count} cases = {worst:E2}");
    }

    [Theory]
    [InlineData("0e", 1, 4, 23)]
    [InlineData("1o", 1, 6, 51)]
    [InlineData("2e", 1, 7, 65)]
    [InlineData("3o", 1, 6, 65)]
    public void PathCountsForTheMaceCouplingIrreps(string irOut, int k1, int k2, int k3)
    {
        Assert.Equal(new[] { k1, k2, k3 }, UMatrices.PathCounts(Irreps.SphericalHarmonics(3), Irrep.Parse(irOut), 3));
    }

    /// Σ_a U[M,a,k] Π A[a_t] is a polynomial transforming as (L,p): checked through U ×_a D_I … = D_L U.
    [Theory]
    [InlineData("0e")]
    [InlineData("1o")]
    public void AreEquivariantIncludingParity(string irOut)
    {
        using var scope = NewDisposeScope();
        var irrepsIn = Irreps.SphericalHarmonics(3);
        var ir = Irrep.Parse(irOut);
        var rng = new System.Random(30);
        double worst = 0;
        for (int nu = 1; nu <= 3; nu++)
        {
            var u = UMatrices.Real(irrepsIn, ir, nu);
            if (ir.L == 0) u = u.unsqueeze(0);
            foreach (var improper in new[] { false, true })
            {
                using var inner = NewDisposeScope();
                var g = Reference.Orthogonal(rng, improper);
                var dIn = WignerD.ForIrreps(irrepsIn, g);
                var dOut = WignerD.Matrix(ir, g);
                var a = Reference.Randn([irrepsIn.Dim], 31 + nu);
                var ra = dIn.matmul(a);
                worst = Math.Max(worst, Reference.MaxDiff(Polynomial(u, ra), dOut.matmul(Polynomial(u, a))));
            }
        }
        output.WriteLine($"U-matrix polynomials ({irOut}) equivariance error = {worst:E2}");
        Assert.True(worst < 1e-10, $"error {worst}");
    }

    /// [M, D, …, D, K] contracted with a on every D axis → [M, K].
    private static Tensor Polynomial(Tensor u, Tensor a)
    {
        var t = u;
        while (t.dim() > 2) t = torch.einsum("...ik,i->...k", t, a);
        return t;
    }
}
