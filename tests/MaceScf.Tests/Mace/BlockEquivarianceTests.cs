using MaceScf.Equivariant;
using MaceScf.Mace;
using MaceScf.Tests.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

/// Every block's output transforms with the irreps it claims under random rotations and improper orthogonal maps.
public class BlockEquivarianceTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-10;
    private static readonly Irreps Hidden = "4x0e+4x1o";
    private static readonly Irreps Sh = Irreps.SphericalHarmonics(3);
    private static readonly Irreps Target = "4x0e+4x1o+4x2e+4x3o";
    private const int Elements = 2;

    /// Edge inputs of a small molecule, its positions rotated by g: (edge harmonics, radial features, sender, receiver).
    private static (Tensor Y, Tensor R, Tensor Sender, Tensor Receiver, Tensor Attrs) Edges(Tensor g)
    {
        var (positions, species) = MaceTestSystems.Molecule(6, 3);
        var inputs = MaceTestSystems.Inputs(positions, species, null, skin: 0);
        var pos = inputs.Positions.matmul(g.T);
        var sender = inputs.EdgeIndex[0];
        var receiver = inputs.EdgeIndex[1];
        var vectors = pos.index_select(0, receiver) - pos.index_select(0, sender);
        var radial = new RadialEmbedding(MaceTestSystems.RMax, 4, 5).Compute(vectors.norm(-1, keepdim: true));
        var attrs = nn.functional.one_hot(inputs.Species, Elements).to_type(ScalarType.Float64);
        return (SphericalHarmonics.Compute(3, vectors), radial, sender, receiver, attrs);
    }

    private void AssertEquivariant(string name, Func<Tensor, Tensor, Tensor> f, Irreps irrepsIn, Irreps irrepsOut, Tensor x)
    {
        double scale = Math.Max(1, MaceTestSystems.MaxAbs(f(x, eye(3, dtype: ScalarType.Float64))));
        double error = Equivariance.MaxError(f, irrepsIn, irrepsOut, x, seed: 11, trials: 6) / scale;
        output.WriteLine($"{name}: relative equivariance error {error:E2} (output scale {scale:F2})");
        Assert.True(error <= Tolerance, $"{name}: {error}");
    }

    [Fact]
    public void ResidualInteractionBlockIsEquivariant()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(1);
        var block = new RealAgnosticResidualInteractionBlock(Hidden, Sh, Target, Hidden, Elements, 4, [8, 8], 2.0);
        var x = Reference.Randn([6, Hidden.Dim], 5);
        AssertEquivariant("residual interaction (A ⊕ sc)", (h, g) =>
        {
            var (y, r, s, rc, attrs) = Edges(g);
            var result = block.forward(h, attrs, y, r, s, rc);
            return torch.cat([IrrepsLayout.FromChannelMajor(result.AtomicBasis, Target), result.SelfConnection!], 1);
        }, Hidden, Target + Hidden, x);
    }

    [Fact]
    public void FirstLayerInteractionBlocksAreEquivariant()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(2);
        Irreps scalars = "4x0e";
        var nonResidual = new RealAgnosticInteractionBlock(scalars, Sh, Target, Elements, 4, [8], 2.0);
        var residual = new RealAgnosticResidualInteractionBlock(scalars, Sh, Target, Hidden, Elements, 4, [8], 2.0);
        var x = Reference.Randn([6, scalars.Dim], 6);
        AssertEquivariant("non-residual interaction (A)", (h, g) =>
        {
            var (y, r, s, rc, attrs) = Edges(g);
            var result = nonResidual.forward(h, attrs, y, r, s, rc);
            Assert.Null(result.SelfConnection);
            return IrrepsLayout.FromChannelMajor(result.AtomicBasis, Target);
        }, scalars, Target, x);
        AssertEquivariant("residual interaction, scalar input (A ⊕ sc)", (h, g) =>
        {
            var (y, r, s, rc, attrs) = Edges(g);
            var result = residual.forward(h, attrs, y, r, s, rc);
            return torch.cat([IrrepsLayout.FromChannelMajor(result.AtomicBasis, Target), result.SelfConnection!], 1);
        }, scalars, Target + Hidden, x);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void ProductBlockIsEquivariant(int correlation)
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(3);
        var block = new ProductBasisBlock(Target, Hidden, correlation, Elements, useSelfConnection: true);
        var x = Reference.Randn([5, Target.Dim + Hidden.Dim], 7).Times(0.5);
        var attrs = nn.functional.one_hot(tensor(new long[] { 0, 1, 1, 0, 1 }), Elements).to_type(ScalarType.Float64);
        AssertEquivariant($"product block, correlation {correlation}", (v, _) =>
        {
            var a = IrrepsLayout.ToChannelMajor(v.narrow(1, 0, Target.Dim), Target);
            return block.forward(a, attrs, v.narrow(1, Target.Dim, Hidden.Dim));
        }, Target + Hidden, Hidden, x);
    }

    [Fact]
    public void ProductBlockWithoutResidualIgnoresIt()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(4);
        var block = new ProductBasisBlock(Target, Hidden, 2, Elements, useSelfConnection: false);
        var a = Reference.Randn([3, 4, 16], 8);
        var attrs = nn.functional.one_hot(tensor(new long[] { 0, 1, 1 }), Elements).to_type(ScalarType.Float64);
        Assert.Equal(0.0, MaceTestSystems.MaxDiff(block.forward(a, attrs, null), block.forward(a, attrs, Reference.Randn([3, Hidden.Dim], 9))));
    }

    [Fact]
    public void ReadoutsAreInvariant()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(5);
        var linear = new LinearReadout(Hidden);
        var nonLinear = new NonLinearReadout(Hidden, "4x0e", NormalizedActivation.Silu());
        var x = Reference.Randn([5, Hidden.Dim], 10);
        AssertEquivariant("linear readout", (v, _) => linear.forward(v).unsqueeze(1), Hidden, "1x0e", x);
        AssertEquivariant("non-linear readout", (v, _) => nonLinear.forward(v).unsqueeze(1), Hidden, "1x0e", x);
    }

    /// Non-linear readout = Linear(16x0e→1x0e)(c·silu(Linear(hidden→16x0e)(h))), against explicit weights.
    [Fact]
    public void NonLinearReadoutMatchesDefinition()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(6);
        var readout = new NonLinearReadout(Hidden, "3x0e", NormalizedActivation.Silu());
        var x = Reference.Randn([4, Hidden.Dim], 12);
        var p = readout.named_parameters().ToDictionary(t => t.name, t => t.parameter);
        var w1 = p["linear_1.weight"].view(4, 3);
        var w2 = p["linear_2.weight"].view(3, 1);
        double c = NormalizedActivation.Silu().Constant;
        var expected = (nn.functional.silu(x.narrow(1, 0, 4).matmul(w1).DividedBy(2.0)).Times(c)).matmul(w2).DividedBy(Math.Sqrt(3));
        Assert.True(MaceTestSystems.MaxDiff(readout.forward(x), expected.squeeze(1)) < 1e-13);
    }
}
