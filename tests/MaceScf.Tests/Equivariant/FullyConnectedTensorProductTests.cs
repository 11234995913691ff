using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

public class FullyConnectedTensorProductTests(ITestOutputHelper output)
{
    [Fact]
    public void SkipConnectionWithOneHotElementsIsAPerElementLinear()
    {
        using var scope = NewDisposeScope();
        const int z = 3, c = 4;
        var tp = new FullyConnectedTensorProduct($"{c}x0e+{c}x1o", $"{z}x0e", $"{c}x0e+{c}x1o");
        Assert.Equal(2L * c * z * c, tp.WeightNumel);
        Assert.Equal(128L * 89 * 128, new FullyConnectedTensorProduct("128x0e+128x1o", "89x0e", "128x0e").WeightNumel);

        var x = Reference.Randn([5, 4 * c], 70);
        var element = tensor(new long[] { 0, 2, 1, 2, 0 });
        var y = tp.forward(x, nn.functional.one_hot(element, z).to_type(ScalarType.Float64));
        var w0 = tp.Weight[..(c * z * c)].view(c, z, c);
        var w1 = tp.Weight[(c * z * c)..].view(c, z, c);
        // out[w] = (1/√(mul1·Z)) Σ_u W[u, z, w] x1[u], the same for each m.
        var s = torch.einsum("bu,ubw->bw", x[.., ..c], w0.index_select(1, element)).DividedBy(Math.Sqrt(c * z));
        var v = torch.einsum("bum,ubw->bwm", x[.., c..].view(5, c, 3), w1.index_select(1, element)).reshape(5, 3 * c).DividedBy(Math.Sqrt(c * z));
        Assert.True(Reference.MaxDiff(y, torch.cat(new[] { s, v }, 1)) < 1e-13);
    }

    [Fact]
    public void OneHotShortcutEqualsTheDenseProduct()
    {
        using var scope = NewDisposeScope();
        var tp = new FullyConnectedTensorProduct("3x0e+3x1o+2x2e", "4x0e", "2x0e+3x1o+1x1e");
        var x = Reference.Randn([6, tp.Irreps1.Dim], 78);
        var element = tensor(new long[] { 3, 0, 3, 1, 0, 3 });
        var dense = tp.forward(x, nn.functional.one_hot(element, 4).to_type(ScalarType.Float64));
        Assert.True(Reference.MaxDiff(tp.ForwardOneHot(x, element), dense) < 1e-13);
        Assert.True(Reference.MaxAbs(dense[.., 11..]) == 0);
    }

    [Fact]
    public void IsEquivariantIncludingParity()
    {
        using var scope = NewDisposeScope();
        Irreps in1 = "2x0e+2x1o+1x2e", in2 = "1x0e+2x1o+1x2e+1x1e", outIrreps = "2x0e+1x1o+2x1e+2x2e+1x3o+1x0o";
        var tp = new FullyConnectedTensorProduct(in1, in2, outIrreps);
        var x2 = Reference.Randn([6, in2.Dim], 72);
        var rng = new System.Random(73);
        double worst = 0;
        foreach (var improper in new[] { false, true, true })
        {
            using var inner = NewDisposeScope();
            var g = Reference.Orthogonal(rng, improper);
            var x1 = Reference.Randn([6, in1.Dim], 71);
            var lhs = tp.forward(x1.matmul(WignerD.ForIrreps(in1, g).T), x2.matmul(WignerD.ForIrreps(in2, g).T));
            var rhs = tp.forward(x1, x2).matmul(WignerD.ForIrreps(outIrreps, g).T);
            worst = Math.Max(worst, Reference.MaxDiff(lhs, rhs));
        }
        output.WriteLine($"uvw TP equivariance error = {worst:E2}");
        Assert.True(worst < 1e-10, $"error {worst}");
        Assert.True(Reference.MaxAbs(tp.forward(Reference.Randn([2, in1.Dim], 74), Reference.Randn([2, in2.Dim], 75))) > 0.1);
    }

    /// Against out[w,k] = α Σ_{uv} W[u,v,w] Σ_ij C_ijk x1[u,i] x2[v,j] for a single 1o⊗1o→2e path.
    [Fact]
    public void MatchesTheDefinition()
    {
        using var scope = NewDisposeScope();
        var tp = new FullyConnectedTensorProduct("2x1o", "3x1o", "2x2e");
        var x1 = Reference.Randn([4, 6], 76);
        var x2 = Reference.Randn([4, 9], 77);
        var expected = torch.einsum("uvw,ijk,bui,bvj->bwk", tp.Weight.view(2, 3, 2), Wigner3j.AsTensor(1, 1, 2),
            x1.view(4, 2, 3), x2.view(4, 3, 3)).Times(Math.Sqrt(5.0 / 6));
        Assert.True(Reference.MaxDiff(tp.forward(x1, x2), expected.reshape(4, 10)) < 1e-13);
    }
}
