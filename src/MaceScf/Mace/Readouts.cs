using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// Site-energy readout of one layer: node features [N, irreps.Dim] → [N] (only the 0e channels contribute).
internal abstract class Readout : nn.Module<Tensor, Tensor>
{
    protected Readout(string name) : base(name) { }
}

/// MACE's LinearReadoutBlock: Linear(hidden → 1x0e), no bias.
internal sealed class LinearReadout : Readout
{
    private readonly EquivariantLinear _linear;

    public LinearReadout(Irreps irrepsIn, ScalarType dtype = ScalarType.Float64) : base(nameof(LinearReadout))
    {
        _linear = new EquivariantLinear(irrepsIn, "1x0e", dtype);
        register_module("linear", _linear);
    }

    public override Tensor forward(Tensor nodeFeats) => _linear.forward(nodeFeats).squeeze(-1);
}

/// MACE's NonLinearReadoutBlock: Linear(hidden → MLP_irreps), normalised activation, Linear(MLP_irreps → 1x0e), no biases.
/// MLP_irreps must be scalars (e.g. 16x0e).
internal sealed class NonLinearReadout : Readout
{
    private readonly EquivariantLinear _linear1;
    private readonly EquivariantLinear _linear2;
    private readonly NormalizedActivation _activation;

    public NonLinearReadout(Irreps irrepsIn, Irreps mlpIrreps, NormalizedActivation activation, ScalarType dtype = ScalarType.Float64)
        : base(nameof(NonLinearReadout))
    {
        if (mlpIrreps.Segments.Any(s => s.Ir != new Irrep(0, 1)))
            throw new ArgumentException($"MLP_irreps must contain only 0e, got '{mlpIrreps}'.", nameof(mlpIrreps));
        _activation = activation;
        _linear1 = new EquivariantLinear(irrepsIn, mlpIrreps, dtype);
        _linear2 = new EquivariantLinear(mlpIrreps, "1x0e", dtype);
        register_module("linear_1", _linear1);
        register_module("linear_2", _linear2);
    }

    public override Tensor forward(Tensor nodeFeats)
    {
        using var scope = NewDisposeScope();
        var hidden = _activation.Apply(_linear1.forward(nodeFeats));
        return _linear2.forward(hidden).squeeze(-1).MoveToOuterDisposeScope();
    }
}
