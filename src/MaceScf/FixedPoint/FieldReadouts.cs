using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The local electron energy ε_i(p_final, p_local, V̂, h_last) (docs/math.md, "The fixed-point map"), [N] eV.
internal abstract class FieldReadout : nn.Module
{
    protected FieldReadout(string name) : base(name) { }

    /// <param name="ctx">the geometry's backbone state (node attributes and features)</param>
    /// <param name="p">[N, K] final density</param><param name="pLocal">[N, K] field-independent density</param>
    /// <param name="features">[N, F] normalised field features</param>
    public abstract Tensor forward(UpdateContext ctx, Tensor p, Tensor pLocal, Tensor features);

    public static FieldReadout Create(FixedPointHyperparameters hp, ScalarType dtype)
    {
        var mace = hp.ResolvedMace;
        var hidden = mace.ResolveHiddenIrreps();
        var edges = Irreps.SphericalHarmonics(Math.Min(2, mace.MaxEll));
        return BlockNames.Check(hp.FieldReadoutConfig.Type, BlockNames.FieldReadouts, "field readout type") switch
        {
            BlockNames.NullFieldReadout => new NullFieldReadout(),
            BlockNames.OneBodyMLPFieldReadout => new OneBodyMLPFieldReadout(hp.ChargesIrreps, hp.PotentialIrreps, hidden, dtype),
            BlockNames.ManyBodyChargesReadout => new ManyBodyChargesReadout(hp.ChargesIrreps, null, hidden, mace.NumElements, edges,
                mace.NumBessel, mace.RadialMlp, dtype),
            BlockNames.ManyBodyChargesFieldReadout => new ManyBodyChargesReadout(hp.ChargesIrreps, hp.PotentialIrreps, hidden,
                mace.NumElements, edges, mace.NumBessel, mace.RadialMlp, dtype),
            _ => new StrictQuadraticFieldEnergyReadout(hp.ChargesIrreps, hp.PotentialIrreps, hidden, dtype),
        };
    }
}

/// ε = 0.
internal sealed class NullFieldReadout : FieldReadout
{
    public NullFieldReadout() : base(nameof(NullFieldReadout)) { }

    public override Tensor forward(UpdateContext ctx, Tensor p, Tensor pLocal, Tensor features) =>
        torch.zeros(p.shape[0], dtype: p.dtype, device: p.device);
}

/// The default: a = Linear(p − p_local), b = Linear(0.01 V̂) (both → 32x0e+32x1o, no bias), c = FCTP(a ⊗ b → 32x0e),
/// ε = FCTP(c ⊗ h_last → 1x0e): bilinear in the induced density and the potential.
internal sealed class StrictQuadraticFieldEnergyReadout : FieldReadout
{
    public const int Width = 32;
    private readonly EquivariantLinear _charges, _potential;
    private readonly FullyConnectedTensorProduct _bilinear, _out;

    public StrictQuadraticFieldEnergyReadout(Irreps charges, Irreps potential, Irreps hidden, ScalarType dtype = ScalarType.Float64)
        : base(nameof(StrictQuadraticFieldEnergyReadout))
    {
        Irreps inner = $"{Width}x0e+{Width}x1o";
        _charges = new EquivariantLinear(charges, inner, dtype);
        _potential = new EquivariantLinear(potential, inner, dtype);
        _bilinear = new FullyConnectedTensorProduct(inner, inner, $"{Width}x0e", dtype);
        _out = new FullyConnectedTensorProduct($"{Width}x0e", hidden, "1x0e", dtype);
        register_module("linear_charges", _charges);
        register_module("linear_potential", _potential);
        register_module("bilinear", _bilinear);
        register_module("out", _out);
    }

    public override Tensor forward(UpdateContext ctx, Tensor p, Tensor pLocal, Tensor features)
    {
        using var scope = NewDisposeScope();
        var c = _bilinear.forward(_charges.forward(p - pLocal), _potential.forward(features.Times(0.01)));
        return _out.forward(c, ctx.HLast).squeeze(1).MoveToOuterDisposeScope();
    }
}

/// u = Linear(p + p_local → hidden, biases), v = Linear(V̂ → hidden, biases);
/// ε = FullyConnectedNet([C, 128, 128, 128, 1], SiLU)(dot_q(h_last, u) + dot_v(h_last, v)).
internal sealed class OneBodyMLPFieldReadout : FieldReadout
{
    public const int Width = 128;
    private readonly BiasedLinear _charges, _potential;
    private readonly InvariantDotProducts _dotCharges, _dotPotential;
    private readonly FullyConnectedNet _mlp;

    public OneBodyMLPFieldReadout(Irreps charges, Irreps potential, Irreps hidden, ScalarType dtype = ScalarType.Float64)
        : base(nameof(OneBodyMLPFieldReadout))
    {
        int channels = hidden.UniformMultiplicity() ?? throw new ArgumentException($"'{hidden}' needs one multiplicity.");
        _charges = new BiasedLinear(charges, hidden, dtype);
        _potential = new BiasedLinear(potential, hidden, dtype);
        _dotCharges = new InvariantDotProducts(hidden, hidden, dtype);
        _dotPotential = new InvariantDotProducts(hidden, hidden, dtype);
        _mlp = new FullyConnectedNet([channels, Width, Width, Width, 1], NormalizedActivation.Silu(), dtype);
        register_module("linear_charges", _charges);
        register_module("linear_potential", _potential);
        register_module("dot_charges", _dotCharges);
        register_module("dot_potential", _dotPotential);
        register_module("mlp", _mlp);
    }

    public override Tensor forward(UpdateContext ctx, Tensor p, Tensor pLocal, Tensor features)
    {
        using var scope = NewDisposeScope();
        var s = _dotCharges.forward(ctx.HLast, _charges.forward(p.Plus(pLocal))).Plus(_dotPotential.forward(ctx.HLast, _potential.forward(features)));
        return _mlp.forward(s).squeeze(1).MoveToOuterDisposeScope();
    }
}

/// ManyBodyChargesReadout (potential = null) and ManyBodyChargesFieldReadout: e = BiasedEmb(p + p_local, h_last, Z)
/// [+ BiasedEmb(V̂, h_last, Z)]; b = many-body basis (correlation 2); s = MLPNonLinearity(dot(h_last, b));
/// ε = FCTP(tp_out(h_last, s) ⊗ Z → 1x0e).
internal sealed class ManyBodyChargesReadout : FieldReadout
{
    private readonly BiasedLinearPotentialEmbedding _chargesEmbedding;
    private readonly BiasedLinearPotentialEmbedding? _potentialEmbedding;
    private readonly ManyBodyBasis _basis;
    private readonly InvariantDotProducts _dot;
    private readonly MLPNonLinearity _nonlinearity;
    private readonly ScalarGatedProduct _tpOut;
    private readonly FullyConnectedTensorProduct _out;

    public ManyBodyChargesReadout(Irreps charges, Irreps? potential, Irreps hidden, int numElements, Irreps edgeAttrsIrreps, int numEdgeFeats,
        IReadOnlyList<int> radialMlp, ScalarType dtype = ScalarType.Float64)
        : base(potential is null ? nameof(ManyBodyChargesReadout) : BlockNames.ManyBodyChargesFieldReadout)
    {
        int channels = hidden.UniformMultiplicity() ?? throw new ArgumentException($"'{hidden}' needs one multiplicity.");
        _chargesEmbedding = new BiasedLinearPotentialEmbedding(charges, hidden, numElements, dtype);
        _potentialEmbedding = potential is null ? null : new BiasedLinearPotentialEmbedding(potential, hidden, numElements, dtype);
        _basis = new ManyBodyBasis(hidden, edgeAttrsIrreps, numElements, numEdgeFeats, radialMlp, correlation: 2, dtype);
        _dot = new InvariantDotProducts(hidden, hidden, dtype);
        _nonlinearity = new MLPNonLinearity(channels, dtype);
        _tpOut = new ScalarGatedProduct(hidden, channels, dtype);
        _out = new FullyConnectedTensorProduct(hidden, new Irreps([new MulIrrep(numElements, new Irrep(0, 1))]), "1x0e", dtype);
        register_module("charges_embedding", _chargesEmbedding);
        if (_potentialEmbedding is not null) register_module("potential_embedding", _potentialEmbedding);
        register_module("interaction", _basis);
        register_module("dot_products", _dot);
        register_module("nonlinearity", _nonlinearity);
        register_module("tp_out", _tpOut);
        register_module("element_select_out", _out);
    }

    public override Tensor forward(UpdateContext ctx, Tensor p, Tensor pLocal, Tensor features)
    {
        using var scope = NewDisposeScope();
        var e = _chargesEmbedding.forward(p.Plus(pLocal), ctx.HLast, ctx.NodeAttrs);
        if (_potentialEmbedding is not null) e = e.Plus(_potentialEmbedding.forward(features, ctx.HLast, ctx.NodeAttrs));
        var s = _nonlinearity.forward(_dot.forward(ctx.HLast, _basis.forward(e, ctx)));
        return _out.forward(_tpOut.forward(ctx.HLast, s), ctx.NodeAttrs).squeeze(1).MoveToOuterDisposeScope();
    }
}
