using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// (x, h, Z) → hidden irreps: embeds a potential-like (or density-like) input per atom (docs/math.md, "The fixed-point map").
internal abstract class PotentialEmbedding : nn.Module
{
    protected PotentialEmbedding(string name) : base(name) { }

    /// x [N, irrepsIn.Dim], h [N, hidden.Dim], nodeAttrs [N, Z] → [N, hidden.Dim].
    public abstract Tensor forward(Tensor x, Tensor h, Tensor nodeAttrs);

    public static PotentialEmbedding Create(string name, Irreps irrepsIn, Irreps hidden, int numElements, ScalarType dtype) =>
        BlockNames.Check(name, BlockNames.PotentialEmbeddings, "potential_embedding_cls") switch
        {
            BlockNames.LinearPotentialEmbedding => new LinearPotentialEmbedding(irrepsIn, hidden, numElements, dtype),
            _ => new BiasedLinearPotentialEmbedding(irrepsIn, hidden, numElements, dtype),
        };

    protected static Irreps Elements(int numElements) => new([new MulIrrep(numElements, new Irrep(0, 1))]);
}

/// FCTP(x ⊗ Z → hidden): an element-dependent linear map of x.
internal sealed class LinearPotentialEmbedding : PotentialEmbedding
{
    private readonly FullyConnectedTensorProduct _tp;

    public LinearPotentialEmbedding(Irreps irrepsIn, Irreps hidden, int numElements, ScalarType dtype = ScalarType.Float64)
        : base(nameof(LinearPotentialEmbedding))
    {
        _tp = new FullyConnectedTensorProduct(irrepsIn, Elements(numElements), hidden, dtype);
        register_module("tp", _tp);
    }

    public override Tensor forward(Tensor x, Tensor h, Tensor nodeAttrs) => _tp.forward(x, nodeAttrs);
}

/// FCTP(x ⊗ Z → hidden) + Linear(h → hidden): the element-dependent map of x biased by the local environment.
internal sealed class BiasedLinearPotentialEmbedding : PotentialEmbedding
{
    private readonly FullyConnectedTensorProduct _tp;
    private readonly EquivariantLinear _bias;

    public BiasedLinearPotentialEmbedding(Irreps irrepsIn, Irreps hidden, int numElements, ScalarType dtype = ScalarType.Float64)
        : base(nameof(BiasedLinearPotentialEmbedding))
    {
        _tp = new FullyConnectedTensorProduct(irrepsIn, Elements(numElements), hidden, dtype);
        _bias = new EquivariantLinear(hidden, hidden, dtype);
        register_module("tp", _tp);
        register_module("linear", _bias);
    }

    public override Tensor forward(Tensor x, Tensor h, Tensor nodeAttrs) => _tp.forward(x, nodeAttrs).Plus(_bias.forward(h));
}
