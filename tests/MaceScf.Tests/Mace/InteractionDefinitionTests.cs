using MaceScf.Equivariant;
using MaceScf.Mace;
using MaceScf.Tests.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

/// The first-layer interaction against its definition written out with the block's weights. With scalar input every
/// path is 0e ⊗ l → l, whose coupling √(2l+1)·C^{(0,l,l)} is the identity, so
/// A_r[u, lm] = (1/n̄) (1/√C) Σ_u' W_l[u', u] Σ_{e: s→r} w_e[l, u'] h'_s[u'] Y_e[lm], h' = h W_up/√C,
/// and the residual sc_r[w] = (1/√(C·Z)) Σ_u W_sc[u, z_r, w] h_r[u] (scalars only).
public class InteractionDefinitionTests
{
    private const int C = 3;
    private const int Z = 2;
    private const double AvgNeighbours = 2.5;
    private static readonly Irreps Target = "3x0e+3x1o+3x2e+3x3o";

    [Fact]
    public void FirstResidualBlockMatchesTheWrittenOutMessage()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(8);
        var block = new RealAgnosticResidualInteractionBlock("3x0e", Irreps.SphericalHarmonics(3), Target, "3x0e+3x1o", Z, 4, [5], AvgNeighbours);
        var (positions, speciesArray) = MaceTestSystems.Molecule(5, 9);
        var inputs = MaceTestSystems.Inputs(positions, speciesArray, null, skin: 0);
        var sender = inputs.EdgeIndex[0];
        var receiver = inputs.EdgeIndex[1];
        var vectors = inputs.Positions.index_select(0, receiver) - inputs.Positions.index_select(0, sender);
        var y = SphericalHarmonics.Compute(3, vectors);
        var edgeFeats = new RadialEmbedding(MaceTestSystems.RMax, 4, 5).Compute(vectors.norm(-1, keepdim: true));
        var attrs = nn.functional.one_hot(inputs.Species, Z).to_type(ScalarType.Float64);
        var h = Reference.Randn([5, C], 10);

        var p = block.named_parameters().ToDictionary(t => t.name, t => t.parameter);
        var up = h.matmul(p["linear_up.weight"].view(C, C)).DividedBy(Math.Sqrt(C));
        var radial = ((FullyConnectedNet)block.named_children().First(c => c.name == "conv_tp_weights").module).forward(edgeFeats); // [E, 4·C]
        var linear = p["linear.weight"].view(4, C, C);
        var expected = new List<Tensor>();
        int offset = 0;
        using var one = 1.0.ToScalar();
        for (int l = 0; l <= 3; l++)
        {
            var yl = y.narrow(1, offset, 2 * l + 1); // [E, 2l+1]
            var edgeMessage = (radial.narrow(1, l * C, C) * up.index_select(0, sender)).unsqueeze(2) * yl.unsqueeze(1); // [E, C, 2l+1]
            var summed = torch.zeros(5, C, 2 * l + 1, dtype: ScalarType.Float64).index_add(0, receiver, edgeMessage, one);
            var mixed = torch.einsum("nud,uw->nwd", summed, linear[l]).DividedBy(Math.Sqrt(C)).DividedBy(AvgNeighbours); // [N, C, 2l+1]
            expected.Add(mixed);
            offset += 2 * l + 1;
        }
        var expectedSc = torch.einsum("nu,uzw,nz->nw", h, p["skip_tp.weight"].view(C, Z, C), attrs).DividedBy(Math.Sqrt(C * Z));

        var result = block.forward(h, attrs, y, edgeFeats, sender, receiver);
        Assert.True(MaceTestSystems.MaxDiff(result.AtomicBasis, torch.cat(expected.ToArray(), 2)) < 1e-13);
        Assert.True(MaceTestSystems.MaxDiff(result.SelfConnection!.narrow(1, 0, C), expectedSc) < 1e-13);
        Assert.Equal(0.0, MaceTestSystems.MaxAbs(result.SelfConnection!.narrow(1, C, 3 * C)));
    }
}
