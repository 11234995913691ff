using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// e3nn's o3.Linear with biases=True: the equivariant linear map plus a learned bias (initialised to 0) on the 0e outputs.
internal sealed class BiasedLinear : nn.Module<Tensor, Tensor>
{
    private readonly EquivariantLinear _linear;
    private readonly CachedConstant _scalarColumns;

    public BiasedLinear(Irreps irrepsIn, Irreps irrepsOut, ScalarType dtype = ScalarType.Float64) : base(nameof(BiasedLinear))
    {
        _linear = new EquivariantLinear(irrepsIn, irrepsOut, dtype);
        var offsets = irrepsOut.Offsets();
        var columns = Enumerable.Range(0, irrepsOut.Count).Where(s => irrepsOut[s].Ir == new Irrep(0, 1))
            .SelectMany(s => Enumerable.Range(offsets[s], irrepsOut[s].Mul)).Select(c => (long)c).ToArray();
        _scalarColumns = new CachedConstant(torch.tensor(columns));
        register_module("linear", _linear);
        register_parameter("bias", nn.Parameter(torch.zeros(columns.Length, dtype: dtype)));
        IrrepsOut = irrepsOut;
    }

    public Irreps IrrepsOut { get; }

    public override Tensor forward(Tensor x)
    {
        var y = _linear.forward(x);
        var bias = get_parameter("bias")!;
        using var one = 1.0.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        return bias.shape[0] == 0 ? y : y.index_add(1, _scalarColumns.For(y), bias.unsqueeze(0).expand(y.shape[0], -1), one);
    }
}
