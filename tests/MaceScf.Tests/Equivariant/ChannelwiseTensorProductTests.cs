using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

public class ChannelwiseTensorProductTests(ITestOutputHelper output)
{
    private static readonly Irreps Sh = Irreps.SphericalHarmonics(3);

    [Fact]
    public void BuildsMaceInstructionsInSortedOrder()
    {
        var tp = new ChannelwiseTensorProduct("8x0e+8x1o", Sh, "8x0e+8x1o+8x2e+8x3o");
        var paths = tp.Paths.Select(p => $"{p.Ir1}x{p.Ir2}>{p.IrOut}").ToArray();
        // Generation order k0..k9 = 0e⊗(0e,1o,2e,3o), 1o⊗0e→1o, 1o⊗1o→0e,2e, 1o⊗2e→1o,3o, 1o⊗3o→2e; sorted k0,k5|k1,k4,k7|k2,k6,k9|k3,k8.
        Assert.Equal(new[]
        {
            "0ex0e>0e", "1ox1o>0e", "0ex1o>1o", "1ox0e>1o", "1ox2e>1o", "0ex2e>2e", "1ox1o>2e", "1ox3o>2e", "0ex3o>3o", "1ox2e>3o",
        }, paths);
        Assert.Equal("8x0e+8x0e+8x1o+8x1o+8x1o+8x2e+8x2e+8x2e+8x3o+8x3o", tp.IrrepsOut.ToString());
        Assert.Equal(80, tp.WeightNumel);
        Assert.Empty(tp.parameters());
        var first = new ChannelwiseTensorProduct("128x0e", Sh, "128x0e+128x1o+128x2e+128x3o");
        Assert.Equal(512, first.WeightNumel);
        Assert.Equal("128x0e+128x1o+128x2e+128x3o", first.IrrepsOut.ToString());
    }

    /// Against the definition out_p[u,k] = √(2l3+1) w[p,u] Σ_ij C_ijk x1[u,i] x2[j], path by path.
    [Fact]
    public void MatchesTheDefinitionPathByPath()
    {
        using var scope = NewDisposeScope();
        Irreps in1 = "3x0e+3x1o+3x2e";
        var tp = new ChannelwiseTensorProduct(in1, Sh, "3x0e+3x1o+3x2e+3x3o");
        const int b = 4;
        var x1 = Reference.Randn([b, in1.Dim], 7);
        var x2 = Reference.Randn([b, Sh.Dim], 8);
        var w = Reference.Randn([b, tp.WeightNumel], 9);
        var y = tp.forward(x1, x2, w);
        var off1 = in1.Offsets();
        var off2 = Sh.Offsets();
        var offOut = tp.IrrepsOut.Offsets();
        double worst = 0;
        foreach (var p in tp.Paths)
        {
            var a = x1[.., off1[p.Input1]..off1[p.Input1 + 1]].view(b, 3, p.Ir1.Dim);
            var s = x2[.., off2[p.Input2]..off2[p.Input2 + 1]];
            var c = Wigner3j.AsTensor(p.Ir1.L, p.Ir2.L, p.IrOut.L);
            var wp = w[.., (p.Output * 3)..(p.Output * 3 + 3)];
            var expected = torch.einsum("bui,bj,ijk->buk", a, s, c).Times(Math.Sqrt(2 * p.IrOut.L + 1)) * wp.unsqueeze(2);
            worst = Math.Max(worst, Reference.MaxDiff(y[.., offOut[p.Output]..offOut[p.Output + 1]], expected.reshape(b, -1)));
        }
        Assert.True(worst < 1e-13, $"error {worst}");
    }

    [Fact]
    public void ConvolveSumsEdgeProductsAtReceivers()
    {
        using var scope = NewDisposeScope();
        Irreps in1 = "4x0e+4x1o";
        var tp = new ChannelwiseTensorProduct(in1, Sh, "4x0e+4x1o+4x2e");
        var nodes = Reference.Randn([3, in1.Dim], 10);
        var sender = tensor(new long[] { 0, 1, 2, 2, 0 });
        var receiver = tensor(new long[] { 1, 0, 0, 1, 2 });
        var attrs = SphericalHarmonics.Compute(3, Reference.Randn([5, 3], 11));
        var w = Reference.Randn([5, tp.WeightNumel], 12);
        var summed = tp.Convolve(nodes, attrs, w, sender, receiver, 3);
        var perEdge = tp.forward(nodes.index_select(0, sender), attrs, w);
        var expected = torch.stack(new[]
        {
            perEdge[1].Plus(perEdge[2]), perEdge[0].Plus(perEdge[3]), perEdge[4],
        });
        Assert.True(Reference.MaxDiff(summed, expected) < 1e-13);
    }

    /// Features and edge vectors rotated together (proper and improper) rotate the aggregated messages.
    [Fact]
    public void ConvolutionIsEquivariantIncludingParity()
    {
        using var scope = NewDisposeScope();
        Irreps in1 = "4x0e+4x1o+4x2e+4x3o";
        var tp = new ChannelwiseTensorProduct(in1, Sh, "4x0e+4x1o+4x2e+4x3o");
        var vectors = Reference.Randn([12, 3], 13);
        var sender = tensor(Enumerable.Range(0, 12).Select(i => (long)(i % 5)).ToArray());
        var receiver = tensor(Enumerable.Range(0, 12).Select(i => (long)((i * 3 + 1) % 5)).ToArray());
        var w = Reference.Randn([12, tp.WeightNumel], 14);
        var err = Equivariance.MaxError(
            (x, g) => tp.Convolve(x, SphericalHarmonics.Compute(3, vectors.matmul(g.T)), w, sender, receiver, 5),
            in1, tp.IrrepsOut, Reference.Randn([5, in1.Dim], 15), seed: 16);
        output.WriteLine($"uvu TP (lmax 3 in/out) equivariance error = {err:E2}");
        Assert.True(err < 1e-10, $"error {err}");
    }

    /// E = Σ (scalar outputs)²: forces −∂E/∂r rotate as vectors, and the double backward runs.
    [Fact]
    public void GradientsWithRespectToEdgeVectorsAreEquivariant()
    {
        using var scope = NewDisposeScope();
        Irreps in1 = "3x0e+3x1o";
        var tp = new ChannelwiseTensorProduct(in1, Sh, "3x0e+3x1o");
        var nodes = Reference.Randn([4, in1.Dim], 17);
        var baseVectors = Reference.Randn([6, 3], 18);
        var sender = tensor(new long[] { 0, 1, 2, 3, 0, 2 });
        var receiver = tensor(new long[] { 1, 2, 3, 0, 3, 1 });
        var w = Reference.Randn([6, tp.WeightNumel], 19);
        Tensor Forces(Tensor g, out Tensor secondOrder)
        {
            var v = baseVectors.matmul(g.T).requires_grad_(true);
            var x = nodes.matmul(WignerD.ForIrreps(in1, g).T);
            var y = tp.Convolve(x, SphericalHarmonics.Compute(3, v), w, sender, receiver, 4);
            var e = y[.., 0..6].Squared().sum();
            var f = -autograd.grad(new[] { e }, new[] { v }, retain_graph: true, create_graph: true)[0];
            secondOrder = autograd.grad(new[] { f.Squared().sum() }, new[] { v })[0];
            return f;
        }
        var g = Reference.Orthogonal(new System.Random(20), improper: true);
        var f0 = Forces(eye(3, dtype: ScalarType.Float64), out var h0);
        var f1 = Forces(g, out var h1);
        var err = Reference.MaxDiff(f1, f0.matmul(g.T));
        Assert.True(err < 1e-10, $"force error {err}");
        Assert.True(Reference.MaxDiff(h1, h0.matmul(g.T)) < 1e-9);
    }
}
