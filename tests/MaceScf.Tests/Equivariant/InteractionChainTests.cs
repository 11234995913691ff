using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

/// The blocks chained as in one MACE layer (linear_up → conv TP with radial MLP weights → linear → symmetric contraction
/// → linear, plus the one-hot skip), with harmonics in the fixed-point model's (y,z,x) order: features transform with
/// D(P R Pᵀ), including improper rotations.
public class InteractionChainTests(ITestOutputHelper output)
{
    [Fact]
    public void MaceLikeLayerIsEquivariantWithYzxHarmonics()
    {
        using var scope = NewDisposeScope();
        const int c = 4, z = 2, atoms = 5;
        Irreps hidden = $"{c}x0e+{c}x1o", sh = Irreps.SphericalHarmonics(3), target = sh.WithMultiplicity(c);
        var up = new EquivariantLinear(hidden, hidden);
        var conv = new ChannelwiseTensorProduct(hidden, sh, target);
        var radial = new FullyConnectedNet([3, 8, conv.WeightNumel], NormalizedActivation.Silu());
        var down = new EquivariantLinear(conv.IrrepsOut, target);
        var product = new SymmetricContraction(target, hidden, correlation: 3, numElements: z);
        var mix = new EquivariantLinear(hidden, hidden);
        var skip = new FullyConnectedTensorProduct(hidden, $"{z}x0e", hidden);

        var positions = Reference.Randn([atoms, 3], 100);
        var features = Reference.Randn([atoms, hidden.Dim], 101);
        var element = tensor(new long[] { 0, 1, 1, 0, 1 });
        var attrs = nn.functional.one_hot(element, z).to_type(ScalarType.Float64);
        var pairs = (from i in Enumerable.Range(0, atoms) from j in Enumerable.Range(0, atoms) where i != j select (i, j)).ToArray();
        var sender = tensor(pairs.Select(p => (long)p.i).ToArray());
        var receiver = tensor(pairs.Select(p => (long)p.j).ToArray());

        Tensor Layer(Tensor pos, Tensor h)
        {
            var vec = pos.index_select(0, receiver) - pos.index_select(0, sender);
            var r = vec.norm(1, true);
            var radialBasis = torch.cat(new[] { r, r.Squared(), (-r).exp() }, 1);
            var m = conv.Convolve(up.forward(h), SphericalHarmonics.Compute(3, vec, VectorOrder.Yzx), radial.forward(radialBasis),
                sender, receiver, atoms);
            var a = IrrepsLayout.ToChannelMajor(down.forward(m), target);
            return mix.forward(product.forward(a, attrs)).Plus(skip.ForwardOneHot(h, element));
        }

        var rng = new System.Random(102);
        double worst = 0;
        foreach (var improper in new[] { false, true })
        {
            var g = Reference.Orthogonal(rng, improper);
            var d = WignerD.ForIrreps(hidden, g, VectorOrder.Yzx);
            var lhs = Layer(positions.matmul(g.T), features.matmul(d.T));
            var rhs = Layer(positions, features).matmul(d.T);
            worst = Math.Max(worst, Reference.MaxDiff(lhs, rhs));
        }
        output.WriteLine($"MACE-like layer (yzx harmonics) equivariance error = {worst:E2}");
        Assert.True(worst < 1e-10, $"error {worst}");
        // The l=1 features are (y,z,x)-ordered vectors: a rotation about z mixes their first and third components.
        var dz = WignerD.Matrix(1, Rotations.AboutZ(0.3), VectorOrder.Yzx);
        Assert.True(Math.Abs(dz[1, 1].item<double>() - 1) < 1e-15);
    }
}
