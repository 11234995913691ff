using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// A map of the C invariants s → s' (docs/math.md, "The fixed-point map").
internal abstract class ScalarNonlinearity : nn.Module<Tensor, Tensor>
{
    protected ScalarNonlinearity(string name) : base(name) { }

    public static ScalarNonlinearity Create(string name, int channels, ScalarType dtype) =>
        BlockNames.Check(name, BlockNames.Nonlinearities, "nonlinearity_cls") switch
        {
            BlockNames.MLPNonLinearity => new MLPNonLinearity(channels, dtype),
            _ => new NoNonLinearity(),
        };
}

/// The identity (default).
internal sealed class NoNonLinearity : ScalarNonlinearity
{
    public NoNonLinearity() : base(nameof(NoNonLinearity)) { }

    public override Tensor forward(Tensor s) => s;
}

/// FullyConnectedNet([C, 64, 64, C], normalised SiLU), no biases.
internal sealed class MLPNonLinearity : ScalarNonlinearity
{
    public const int Width = 64;
    private readonly FullyConnectedNet _net;

    public MLPNonLinearity(int channels, ScalarType dtype = ScalarType.Float64) : base(nameof(MLPNonLinearity))
    {
        _net = new FullyConnectedNet([channels, Width, Width, channels], NormalizedActivation.Silu(), dtype);
        register_module("mlp", _net);
    }

    public override Tensor forward(Tensor s) => _net.forward(s);
}
