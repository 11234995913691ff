using MaceScf.Equivariant;
using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// MACE's RealAgnosticDensityResidualInteractionBlock on an embedded input e (docs/math.md, "The fixed-point map"):
/// sc = FCTP(e ⊗ Z → hidden); M_i = Linear(Σ_{j→i} TP(Linear_up(e)_j, Y_ij; w = MLP(R_ij))) / (1 + Σ_{j→i} tanh(MLP₁(R_ij)²)).
internal sealed class DensityResidualInteraction : nn.Module
{
    private readonly EquivariantLinear _linearUp;
    private readonly ChannelwiseTensorProduct _convTp;
    private readonly FullyConnectedNet _convTpWeights;
    private readonly FullyConnectedNet _density;
    private readonly EquivariantLinear _linear;
    private readonly FullyConnectedTensorProduct _skipTp;

    public DensityResidualInteraction(Irreps nodeIrreps, Irreps edgeAttrsIrreps, Irreps targetIrreps, Irreps hiddenOut, int numElements,
        int numEdgeFeats, IReadOnlyList<int> radialMlp, ScalarType dtype = ScalarType.Float64) : base(nameof(DensityResidualInteraction))
    {
        TargetIrreps = targetIrreps;
        _linearUp = new EquivariantLinear(nodeIrreps, nodeIrreps, dtype);
        _convTp = new ChannelwiseTensorProduct(nodeIrreps, edgeAttrsIrreps, targetIrreps);
        _convTpWeights = new FullyConnectedNet([numEdgeFeats, .. radialMlp, _convTp.WeightNumel], NormalizedActivation.Silu(), dtype);
        _density = new FullyConnectedNet([numEdgeFeats, 1], NormalizedActivation.Silu(), dtype);
        _linear = new EquivariantLinear(_convTp.IrrepsOut, targetIrreps, dtype);
        _skipTp = new FullyConnectedTensorProduct(nodeIrreps, new Irreps([new MulIrrep(numElements, new Irrep(0, 1))]), hiddenOut, dtype);
        register_module("linear_up", _linearUp);
        register_module("conv_tp", _convTp);
        register_module("conv_tp_weights", _convTpWeights);
        register_module("density_fn", _density);
        register_module("linear", _linear);
        register_module("skip_tp", _skipTp);
    }

    public Irreps TargetIrreps { get; }

    /// Returns (message [N, target.Dim] mul_ir, self-connection [N, hidden.Dim]).
    public (Tensor Message, Tensor SelfConnection) forward(Tensor e, UpdateContext ctx)
    {
        using var scope = NewDisposeScope();
        var sc = _skipTp.forward(e, ctx.NodeAttrs);
        var summed = _convTp.Convolve(_linearUp.forward(e), ctx.EdgeAttrs, ctx.EdgeFeats, _convTpWeights, ctx.Sender, ctx.Receiver, ctx.NumNodes,
            ctx.EdgeRows);
        var edgeDensity = _density.forward(ctx.EdgeFeats).Squared().tanh();
        if (ctx.EdgeRows is not null) edgeDensity = edgeDensity.index_select(0, ctx.EdgeRows);
        using var one = 1.0.ToScalar();
        var density = torch.zeros(ctx.NumNodes, 1, dtype: e.dtype, device: e.device).index_add(0, ctx.Receiver, edgeDensity, one);
        var message = _linear.forward(summed) / density.Plus(1);
        return (message.MoveToOuterDisposeScope(), sc.MoveToOuterDisposeScope());
    }
}

/// e ↦ b: density-normalised interaction, AdditiveFieldMixer (m ← m + Linear(e → target, biases)) and a product basis
/// with self-connection (docs/math.md, "The fixed-point map").
internal sealed class ManyBodyBasis : nn.Module
{
    private readonly DensityResidualInteraction _interaction;
    private readonly BiasedLinear _mixer;
    private readonly ProductBasisBlock _product;

    public ManyBodyBasis(Irreps hidden, Irreps edgeAttrsIrreps, int numElements, int numEdgeFeats, IReadOnlyList<int> radialMlp,
        int correlation, ScalarType dtype = ScalarType.Float64) : base(nameof(ManyBodyBasis))
    {
        int channels = hidden.UniformMultiplicity() ?? throw new ArgumentException($"'{hidden}' needs one multiplicity.");
        var target = edgeAttrsIrreps.WithMultiplicity(channels).Sort().Sorted.Simplify();
        _interaction = new DensityResidualInteraction(hidden, edgeAttrsIrreps, target, hidden, numElements, numEdgeFeats, radialMlp, dtype);
        _mixer = new BiasedLinear(hidden, target, dtype);
        _product = new ProductBasisBlock(target, hidden, correlation, numElements, useSelfConnection: true, dtype);
        register_module("interaction", _interaction);
        register_module("field_mixer", _mixer);
        register_module("product", _product);
    }

    /// e [N, hidden.Dim] → b [N, hidden.Dim].
    public Tensor forward(Tensor e, UpdateContext ctx)
    {
        using var scope = NewDisposeScope();
        var (message, sc) = _interaction.forward(e, ctx);
        var m = message.Plus(_mixer.forward(e));
        var basis = IrrepsLayout.ToChannelMajor(m, _interaction.TargetIrreps);
        return _product.forward(basis, ctx.NodeAttrs, sc).MoveToOuterDisposeScope();
    }
}
