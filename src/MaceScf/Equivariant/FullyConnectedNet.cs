using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// e3nn's nn.FullyConnectedNet([h0, …, hn], act) on scalars, without biases: x ← act(x · W_k/√h_{k−1}) for hidden
/// layers and x · W_n/√h_{n−1} for the last one; W_k ~ N(0,1) of shape [h_{k−1}, h_k] (parameters layer{k}.weight);
/// act is normalised (<see cref="NormalizedActivation"/>).
internal sealed class FullyConnectedNet : nn.Module<Tensor, Tensor>
{
    private readonly FullyConnectedLayer[] _layers;

    public IReadOnlyList<int> Sizes { get; }

    public FullyConnectedNet(IReadOnlyList<int> sizes, NormalizedActivation activation, ScalarType dtype = ScalarType.Float64)
        : base(nameof(FullyConnectedNet))
    {
        if (sizes.Count < 2) throw new ArgumentException("Need at least input and output sizes.");
        Sizes = sizes.ToArray();
        _layers = new FullyConnectedLayer[sizes.Count - 1];
        for (int k = 0; k < _layers.Length; k++)
        {
            _layers[k] = new FullyConnectedLayer(sizes[k], sizes[k + 1], k < _layers.Length - 1 ? activation : null, dtype);
            register_module($"layer{k}", _layers[k]);
        }
    }

    /// <param name="x">[B, h0]</param>
    /// <returns>[B, hn]</returns>
    public override Tensor forward(Tensor x) => Apply(x, Weights);

    /// The layers' weights W_k, in order.
    public IReadOnlyList<Tensor> Weights => _layers.Select(l => (Tensor)l.Weight).ToArray();

    /// The network with the given weights (same shapes as <see cref="Weights"/>): x [B, h0] → [B, hn]; used where the weights
    /// must be explicit inputs of a recomputed block (edge-chunked interactions).
    public Tensor Apply(Tensor x, IReadOnlyList<Tensor> weights)
    {
        using var scope = NewDisposeScope();
        // The activation's normalisation constant c goes into the next layer's weight scale, f(y)·c · W/√h = f(y) · (c W/√h):
        // one elementwise pass less per hidden layer, forward and backward.
        double carried = 1;
        for (int k = 0; k < _layers.Length; k++)
        {
            var y = x.matmul(weights[k].Times(carried * _layers[k].Scale));
            x = _layers[k].Activation is { } activation ? activation.ApplyUnscaled(y) : y;
            carried = _layers[k].Activation?.Constant ?? 1;
        }
        return (carried == 1 ? x : x.Times(carried)).MoveToOuterDisposeScope();
    }
}

/// One layer of <see cref="FullyConnectedNet"/>: act(x · W/√h_in), weight ~ N(0,1).
internal sealed class FullyConnectedLayer : nn.Module<Tensor, Tensor>
{
    private readonly NormalizedActivation? _activation;
    private readonly double _scale;

    public FullyConnectedLayer(int inFeatures, int outFeatures, NormalizedActivation? activation, ScalarType dtype = ScalarType.Float64)
        : base(nameof(FullyConnectedLayer))
    {
        _activation = activation;
        _scale = 1 / Math.Sqrt(inFeatures);
        register_parameter("weight", NormalParameter.Create([inFeatures, outFeatures], dtype));
    }

    public Parameter Weight => get_parameter("weight")!;

    /// 1/√h_in.
    public double Scale => _scale;

    /// The activation after the product, or null (last layer).
    public NormalizedActivation? Activation => _activation;

    public override Tensor forward(Tensor x) => Apply(x, Weight);

    /// act(x · W/√h_in) with the given weight.
    public Tensor Apply(Tensor x, Tensor weight)
    {
        var y = x.matmul(weight.Times(_scale));
        return _activation is null ? y : _activation.Apply(y);
    }
}
