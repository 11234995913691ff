using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The update rule U: normalised field features V̂ [N, F] at fixed geometry → density correction Δp [N, K]
/// (F(p) = p_local + U(V̂(p)); docs/math.md, "The fixed-point map").
internal abstract class FixedPointUpdate : nn.Module
{
    private readonly InvariantDotProducts _dotProducts;
    private readonly ScalarNonlinearity _nonlinearity;
    private readonly ScalarGatedProduct _tpOut;
    private readonly FullyConnectedTensorProduct _elementSelectOut;

    protected FixedPointUpdate(string name, Irreps hidden, Irreps charges, int numElements, string nonlinearity, ScalarType dtype) : base(name)
    {
        int channels = hidden.UniformMultiplicity() ?? throw new ArgumentException($"'{hidden}' needs one multiplicity.");
        _dotProducts = new InvariantDotProducts(hidden, hidden, dtype);
        _nonlinearity = ScalarNonlinearity.Create(nonlinearity, channels, dtype);
        _tpOut = new ScalarGatedProduct(hidden, channels, dtype);
        _elementSelectOut = new FullyConnectedTensorProduct(hidden, new Irreps([new MulIrrep(numElements, new Irrep(0, 1))]), charges, dtype);
    }

    /// Registers the shared output blocks; call after the subclass registered its own modules (state-dict order).
    protected void RegisterOutputBlocks()
    {
        register_module("dot_products", _dotProducts);
        register_module("nonlinearity", _nonlinearity);
        register_module("tp_out", _tpOut);
        register_module("element_select_out", _elementSelectOut);
    }

    /// The output tensor product Δp = FCTP(· ⊗ Z), which `fixedpoint_initial_charge_head_scale` rescales at initialisation.
    public nn.Module ChargeHead => _elementSelectOut;

    /// Δp for the normalised features <paramref name="features"/>.
    public abstract Tensor forward(UpdateContext ctx, Tensor features);

    /// True when Δp is affine in V̂: both potential embeddings are affine, the many-body basis has correlation 1 and the output
    /// blocks are linear in the invariants, so only a non-linearity (MLPNonLinearity) makes the response depend on V̂
    /// (checked in `FukuiWeightsTests`).
    public bool IsAffineInFeatures => _nonlinearity is NoNonLinearity;

    /// True when atom i's Δp depends only on its own V̂_i (no message passing after the embedding): ∂Δp/∂V̂ is block-diagonal
    /// per atom (<see cref="OneBodyJacobian"/>).
    public virtual bool IsOneBody => false;

    /// The update as Δp_i = A_i V̂_i + c_i per atom (A [N, K, F], c [N, K]) when it has that form — one-body and affine in V̂ —
    /// otherwise null. Both are functions of the geometry only (h_mix, Z), so a map step then costs one batched matrix–vector
    /// product instead of the update's blocks (docs/fixed-point.md, "The affine one-body update").
    public virtual (Tensor Matrix, Tensor Offset)? PerAtomAffineForm(UpdateContext ctx, long features) => null;

    /// s = N(dot(h_mix, b)); Δp = FCTP(tp_out(h_mix, s) ⊗ Z → charges).
    protected Tensor Output(UpdateContext ctx, Tensor b)
    {
        var s = _nonlinearity.forward(_dotProducts.forward(ctx.HMix, b));
        return _elementSelectOut.forward(_tpOut.forward(ctx.HMix, s), ctx.NodeAttrs);
    }

    public static FixedPointUpdate Create(FixedPointHyperparameters hp, ScalarType dtype)
    {
        var mace = hp.ResolvedMace;
        var hidden = mace.ResolveHiddenIrreps();
        var config = hp.UpdateConfig;
        config.Validate();
        return config.Type == BlockNames.ManyBodyUpdate
            ? new ManyBodyUpdate(hp.PotentialIrreps, hidden, hp.ChargesIrreps, mace.NumElements, config.ResolvedPotentialEmbedding,
                config.NonlinearityCls, Irreps.SphericalHarmonics(Math.Min(2, mace.MaxEll)), mace.NumBessel, mace.RadialMlp, dtype)
            : new OneBodyVariableUpdate(hp.PotentialIrreps, hidden, hp.ChargesIrreps, mace.NumElements, config.ResolvedPotentialEmbedding,
                config.NonlinearityCls, dtype);
    }
}

/// The default update (docs/math.md, "The fixed-point map"): e = Emb(V̂, h_mix, Z); Δp = FCTP(tp_out(h_mix, N(dot(h_mix, e))) ⊗ Z).
/// With the biased linear embedding and no non-linearity Δp is affine in V̂ per atom.
internal sealed class OneBodyVariableUpdate : FixedPointUpdate
{
    private readonly PotentialEmbedding _embedding;

    public OneBodyVariableUpdate(Irreps potential, Irreps hidden, Irreps charges, int numElements,
        string embedding = BlockNames.BiasedLinearPotentialEmbedding, string nonlinearity = BlockNames.NoNonLinearity,
        ScalarType dtype = ScalarType.Float64)
        : base(nameof(OneBodyVariableUpdate), hidden, charges, numElements, nonlinearity, dtype)
    {
        _embedding = PotentialEmbedding.Create(embedding, potential, hidden, numElements, dtype);
        register_module("potential_embedding", _embedding);
        RegisterOutputBlocks();
    }

    /// The embedding and the output blocks act on each atom alone.
    public override bool IsOneBody => true;

    public override Tensor forward(UpdateContext ctx, Tensor features)
    {
        using var scope = NewDisposeScope();
        var e = _embedding.forward(features, ctx.HMix, ctx.NodeAttrs);
        return Output(ctx, e).MoveToOuterDisposeScope();
    }

    /// Without a non-linearity Δp_i depends on V̂_i alone and affinely: c_i = U(0)_i and the columns A_i e_f = U(e_f)_i − c_i,
    /// from one evaluation of the update on F + 1 copies of the atoms (V̂ = 0, then every unit vector). Differentiable in the
    /// parameters and the geometry like the update itself.
    public override (Tensor Matrix, Tensor Offset)? PerAtomAffineForm(UpdateContext ctx, long features)
    {
        if (!IsAffineInFeatures) return null;
        using var scope = NewDisposeScope();
        long n = ctx.NumNodes, copies = features + 1;
        var dtype = ctx.HMix.dtype;
        var inputs = cat([zeros(1, features, dtype: dtype, device: ctx.HMix.device), eye(features, dtype: dtype, device: ctx.HMix.device)], 0)
            .unsqueeze(1).expand(copies, n, features).reshape(copies * n, features);
        var copied = ctx with { HMix = ctx.HMix.repeat(copies, 1), NodeAttrs = ctx.NodeAttrs.repeat(copies, 1) };
        var values = forward(copied, inputs).view(copies, n, -1);
        var offset = values[0];
        var matrix = (values.narrow(0, 1, features) - offset).permute(1, 2, 0);
        return (matrix.contiguous().MoveToOuterDisposeScope(), offset.contiguous().MoveToOuterDisposeScope());
    }
}

/// The many-body update (docs/math.md, "The fixed-point map"): the embedded field is passed between neighbours (density-normalised interaction,
/// additive mixer, product basis of correlation 1) before the one-body output blocks.
internal sealed class ManyBodyUpdate : FixedPointUpdate
{
    private readonly PotentialEmbedding _embedding;
    private readonly ManyBodyBasis _basis;

    public ManyBodyUpdate(Irreps potential, Irreps hidden, Irreps charges, int numElements, string embedding, string nonlinearity,
        Irreps edgeAttrsIrreps, int numEdgeFeats, IReadOnlyList<int> radialMlp, ScalarType dtype = ScalarType.Float64)
        : base(nameof(ManyBodyUpdate), hidden, charges, numElements, nonlinearity, dtype)
    {
        _embedding = PotentialEmbedding.Create(embedding, potential, hidden, numElements, dtype);
        _basis = new ManyBodyBasis(hidden, edgeAttrsIrreps, numElements, numEdgeFeats, radialMlp, correlation: 1, dtype);
        register_module("potential_embedding", _embedding);
        register_module("interaction", _basis);
        RegisterOutputBlocks();
    }

    public override Tensor forward(UpdateContext ctx, Tensor features)
    {
        using var scope = NewDisposeScope();
        var e = _embedding.forward(features, ctx.HMix, ctx.NodeAttrs);
        return Output(ctx, _basis.forward(e, ctx)).MoveToOuterDisposeScope();
    }
}
