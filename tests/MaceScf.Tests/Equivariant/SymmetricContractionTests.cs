using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

public class SymmetricContractionTests(ITestOutputHelper output)
{
    private static readonly Irreps A = Irreps.SphericalHarmonics(3).WithMultiplicity(4);

    [Fact]
    public void ParametersMirrorMace()
    {
        var sc = new SymmetricContraction(A, "4x0e+4x1o", correlation: 3, numElements: 3);
        var shapes = sc.named_parameters().Select(p => $"{p.name}:{string.Join('x', p.parameter.shape)}").ToArray();
        Assert.Equal(new[]
        {
            "contractions.0.weights_max:3x23x4", "contractions.0.weights.0:3x4x4", "contractions.0.weights.1:3x1x4",
            "contractions.1.weights_max:3x51x4", "contractions.1.weights.0:3x6x4", "contractions.1.weights.1:3x1x4",
        }, shapes);
        Assert.Equal(3 * 4 * (28 + 58), sc.parameters().Sum(p => p.numel()));
    }

    /// Distinct monomials with a non-zero symmetrised coefficient, as counted in the notes (§5): 77 (0e) and 278 (1o) of 816.
    [Theory]
    [InlineData("1x0e", 77)]
    [InlineData("1x1o", 278)]
    [InlineData("1x0e+1x1o", 355)]
    public void UsesTheExpectedCubicMonomials(string outIrreps, int cubic)
    {
        var sc = new SymmetricContraction(Irreps.SphericalHarmonics(3), outIrreps, correlation: 3, numElements: 1);
        Assert.Equal(cubic, sc.MonomialCounts[2]);
    }

    /// Against B[b,c,M] = Σ_ν Σ_k W_ν[z_b,k,c] Σ_a U_ν[M,a,k] Π_t A[b,c,a_t] with the dense U matrices.
    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void MatchesTheDenseDefinition(int correlation)
    {
        using var scope = NewDisposeScope();
        Irreps outIrreps = "4x0e+4x1o+4x2e";
        var sc = new SymmetricContraction(A, outIrreps, correlation, numElements: 3);
        var x = Reference.Randn([5, 4, 16], 40 + correlation);
        var element = tensor(new long[] { 2, 0, 2, 2, 0 });
        var y = sc.forward(x, nn.functional.one_hot(element, 3).to_type(ScalarType.Float64));
        var expected = new List<Tensor>();
        var contractions = sc.named_children().First().module.named_children().Select(c => (Contraction)c.module).ToArray();
        for (int j = 0; j < outIrreps.Count; j++)
        {
            var ir = outIrreps[j].Ir;
            var sum = zeros(5, 4, ir.Dim, dtype: ScalarType.Float64);
            for (int nu = 1; nu <= correlation; nu++)
            {
                var u = UMatrices.Real(Irreps.SphericalHarmonics(3), ir, nu);
                if (ir.L == 0) u = u.unsqueeze(0);
                var w = contractions[j].Weights(nu).index_select(0, element); // [b, K, c]
                var t = torch.einsum("m...k,bkc->bcm...", u, w); // [b, c, M, a1..aν]
                for (int p = 0; p < nu; p++) t = torch.einsum("bcm...i,bci->bcm...", t, x);
                sum = sum.Plus(t);
            }
            expected.Add(sum.reshape(5, -1));
        }
        var err = Reference.MaxDiff(y, torch.cat(expected, 1));
        Assert.True(err < 1e-12, $"error {err}");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void IsEquivariantIncludingParity(int correlation)
    {
        using var scope = NewDisposeScope();
        Irreps outIrreps = "4x0e+4x1o";
        var sc = new SymmetricContraction(A, outIrreps, correlation, numElements: 2);
        var attrs = nn.functional.one_hot(tensor(new long[] { 0, 1, 1, 0 }), 2).to_type(ScalarType.Float64);
        var x = Reference.Randn([4, 4, 16], 50 + correlation);
        var rng = new System.Random(60 + correlation);
        double worst = 0;
        foreach (var improper in new[] { false, true, false, true })
        {
            using var inner = NewDisposeScope();
            var g = Reference.Orthogonal(rng, improper);
            var dA = WignerD.ForIrreps(sc.CouplingIrreps, g);
            var dOut = WignerD.ForIrreps(outIrreps, g);
            var lhs = sc.forward(x.matmul(dA.T), attrs);
            var rhs = sc.forward(x, attrs).matmul(dOut.T);
            worst = Math.Max(worst, Reference.MaxDiff(lhs, rhs));
        }
        output.WriteLine($"symmetric contraction (correlation {correlation}) equivariance error = {worst:E2}");
        Assert.True(worst < 1e-10, $"error {worst}");
    }
}
