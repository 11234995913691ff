using MaceScf.Equivariant;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// One layer's contribution to the field-independent density p_local (docs/math.md, "The fixed-point map"): h^(t) [N, irreps_t.Dim] → [N, K].
internal abstract class LocalDensityBlock : nn.Module
{
    protected LocalDensityBlock(string name) : base(name) { }

    public abstract Tensor forward(Tensor h, Tensor nodeAttrs);

    /// The output layer ("charge head") that `fixedpoint_initial_charge_head_scale` rescales at initialisation, or null.
    public virtual nn.Module? ChargeHead => null;
}

/// GeneralNonLinearBiasReadoutBlock (the default): Linear → act → Linear → act → Linear, biases on the scalars, with the
/// hidden irreps I = MLP_irreps. With scalar-only MLP_irreps (the only ones supported) the dipole outputs are zero.
internal sealed class NonLinearLocalDensity : LocalDensityBlock
{
    private readonly BiasedLinear _linear1, _linear2, _linear3;
    private readonly NormalizedActivation _activation;

    public NonLinearLocalDensity(Irreps irrepsIn, Irreps mlpIrreps, Irreps charges, NormalizedActivation activation,
        ScalarType dtype = ScalarType.Float64) : base(nameof(NonLinearLocalDensity))
    {
        _activation = activation;
        _linear1 = new BiasedLinear(irrepsIn, mlpIrreps, dtype);
        _linear2 = new BiasedLinear(mlpIrreps, mlpIrreps, dtype);
        _linear3 = new BiasedLinear(mlpIrreps, charges, dtype);
        register_module("linear_1", _linear1);
        register_module("linear_2", _linear2);
        register_module("linear_3", _linear3);
    }

    /// The last linear map (the Python block's `linear_2`).
    public override nn.Module ChargeHead => _linear3;

    public override Tensor forward(Tensor h, Tensor nodeAttrs)
    {
        using var scope = NewDisposeScope();
        var x = _activation.Apply(_linear1.forward(h));
        x = _activation.Apply(_linear2.forward(x));
        return _linear3.forward(x).MoveToOuterDisposeScope();
    }
}

/// ScaledEnvironmentDependentSourceBlock (--use_linear_local_charges): Linear(h → charges) × s_Z, s from
/// --atom_density_scaling (a buffer, saved with the model).
internal sealed class ScaledLinearLocalDensity : LocalDensityBlock
{
    private readonly EquivariantLinear _linear;

    public ScaledLinearLocalDensity(Irreps irrepsIn, Irreps charges, double[] scales, ScalarType dtype = ScalarType.Float64)
        : base(nameof(ScaledLinearLocalDensity))
    {
        _linear = new EquivariantLinear(irrepsIn, charges, dtype);
        register_module("linear", _linear);
        register_buffer("atom_density_scaling", torch.tensor(scales, dtype: dtype));
    }

    public override Tensor forward(Tensor h, Tensor nodeAttrs)
    {
        using var scope = NewDisposeScope();
        var scale = nodeAttrs.matmul(get_buffer("atom_density_scaling")!).unsqueeze(1);
        return (_linear.forward(h) * scale).MoveToOuterDisposeScope();
    }
}

/// MultiLayerFeatureMixer: h_mix = Σ_t Linear_t(h^(t) → hidden).
internal sealed class MultiLayerFeatureMixer : nn.Module
{
    private readonly ModuleList<EquivariantLinear> _linears = new();

    public MultiLayerFeatureMixer(IReadOnlyList<Irreps> layerIrreps, Irreps hidden, ScalarType dtype = ScalarType.Float64)
        : base(nameof(MultiLayerFeatureMixer))
    {
        foreach (var irreps in layerIrreps) _linears.Add(new EquivariantLinear(irreps, hidden, dtype));
        register_module("linears", _linears);
    }

    public Tensor forward(IReadOnlyList<Tensor> layerFeatures)
    {
        using var scope = NewDisposeScope();
        var sum = _linears[0].forward(layerFeatures[0]);
        for (int t = 1; t < _linears.Count; t++) sum = sum.Plus(_linears[t].forward(layerFeatures[t]));
        return sum.MoveToOuterDisposeScope();
    }
}
