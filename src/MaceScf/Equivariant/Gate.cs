using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// e3nn's nn.Gate: the input is [scalars, gates, gated] (mul_ir); the output is [act(scalars), gated ⊙ actGates(gates)],
/// one gate scalar per gated irrep copy. Scalars and gates must be even (0e); activations are normalised.
internal sealed class Gate : nn.Module<Tensor, Tensor>
{
    private readonly NormalizedActivation _act;
    private readonly NormalizedActivation _actGates;
    private readonly CachedConstant _gateOfComponent; // [gated.Dim] → gate index
    private readonly int _nScalars;
    private readonly int _nGates;
    private readonly int _gatedDim;

    public Irreps IrrepsIn { get; }

    public Irreps IrrepsOut { get; }

    public Gate(Irreps irrepsScalars, NormalizedActivation act, Irreps irrepsGates, NormalizedActivation actGates, Irreps irrepsGated)
        : base(nameof(Gate))
    {
        using var scope = NewDisposeScope();
        if ((irrepsScalars + irrepsGates).Segments.Any(s => s.Ir != new Irrep(0, 1)))
            throw new ArgumentException("Scalars and gates must be 0e.");
        if (irrepsGates.NumIrreps != irrepsGated.NumIrreps)
            throw new ArgumentException("Need exactly one gate per gated irrep copy.");
        _act = act;
        _actGates = actGates;
        _nScalars = irrepsScalars.Dim;
        _nGates = irrepsGates.Dim;
        _gatedDim = irrepsGated.Dim;
        IrrepsIn = irrepsScalars + irrepsGates + irrepsGated;
        IrrepsOut = irrepsScalars + irrepsGated;
        var index = new long[_gatedDim];
        int pos = 0, gate = 0;
        foreach (var s in irrepsGated.Segments)
            for (int u = 0; u < s.Mul; u++, gate++)
                for (int m = 0; m < s.Ir.Dim; m++) index[pos++] = gate;
        _gateOfComponent = new CachedConstant(torch.tensor(index));
    }

    /// <param name="x">[B, IrrepsIn.Dim]</param>
    /// <returns>[B, IrrepsOut.Dim]</returns>
    public override Tensor forward(Tensor x)
    {
        var scalars = _act.Apply(x.narrow(1, 0, _nScalars));
        var gates = _actGates.Apply(x.narrow(1, _nScalars, _nGates));
        var gated = x.narrow(1, _nScalars + _nGates, _gatedDim) * gates.index_select(1, _gateOfComponent.For(x));
        return torch.cat(new[] { scalars, gated }, 1);
    }
}
