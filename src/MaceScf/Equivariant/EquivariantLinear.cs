using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// e3nn's o3.Linear without bias: every (input segment, output segment) pair with the same irrep is a path with its own
/// weight block W[mul_in, mul_out] (flat parameter `weight`, blocks ordered by input then output segment, ~N(0,1)),
/// out_j = Σ_paths α_j Wᵀ x_i with α_j = 1/√(Σ_{paths into j} mul_in). Output segments without a path are zero.
internal sealed class EquivariantLinear : nn.Module<Tensor, Tensor>
{
    private readonly Output[] _outputs;

    private sealed record Path(int InputSegment, long WeightOffset, int MulIn);

    private sealed record Output(int Mul, int Dim, double Alpha, Path[] Paths);

    public Irreps IrrepsIn { get; }

    public Irreps IrrepsOut { get; }

    public long WeightNumel { get; }

    /// Flat weight, concatenation of the path blocks W[mul_in, mul_out] (row-major).
    public Parameter Weight => get_parameter("weight")!;

    public EquivariantLinear(Irreps irrepsIn, Irreps irrepsOut, ScalarType dtype = ScalarType.Float64) : base(nameof(EquivariantLinear))
    {
        using var scope = NewDisposeScope();
        IrrepsIn = irrepsIn;
        IrrepsOut = irrepsOut;
        var paths = new List<(int In, int Out, long Offset)>();
        long offset = 0;
        for (int i = 0; i < irrepsIn.Count; i++)
        for (int j = 0; j < irrepsOut.Count; j++)
            if (irrepsIn[i].Ir == irrepsOut[j].Ir)
            {
                paths.Add((i, j, offset));
                offset += (long)irrepsIn[i].Mul * irrepsOut[j].Mul;
            }
        WeightNumel = offset;
        _outputs = Enumerable.Range(0, irrepsOut.Count).Select(j =>
        {
            var into = paths.Where(p => p.Out == j).Select(p => new Path(p.In, p.Offset, irrepsIn[p.In].Mul)).ToArray();
            int fanIn = into.Sum(p => p.MulIn);
            return new Output(irrepsOut[j].Mul, irrepsOut[j].Ir.Dim, fanIn > 0 ? 1 / Math.Sqrt(fanIn) : 0, into);
        }).ToArray();
        register_parameter("weight", NormalParameter.Create([offset], dtype));
    }

    /// <param name="x">[B, IrrepsIn.Dim] (mul_ir)</param>
    /// <returns>[B, IrrepsOut.Dim] (mul_ir)</returns>
    public override Tensor forward(Tensor x)
    {
        using var scope = NewDisposeScope();
        long b = x.shape[0];
        var inOffsets = IrrepsIn.Offsets();
        var w = Weight;
        var parts = new List<Tensor>(_outputs.Length);
        foreach (var o in _outputs)
        {
            if (o.Paths.Length == 0)
            {
                parts.Add(torch.zeros(b, (long)o.Mul * o.Dim, dtype: x.dtype, device: x.device));
                continue;
            }
            // Stack the inputs of all paths into one [B, d, Σ mul_in] operand and the blocks into [Σ mul_in, mul_out].
            var xs = o.Paths.Select(p => x.narrow(1, inOffsets[p.InputSegment], (long)p.MulIn * o.Dim).view(b, p.MulIn, o.Dim)).ToArray();
            var ws = o.Paths.Select(p => w.narrow(0, p.WeightOffset, (long)p.MulIn * o.Mul).view(p.MulIn, o.Mul)).ToArray();
            var xin = xs.Length == 1 ? xs[0] : torch.cat(xs, 1);
            var win = ws.Length == 1 ? ws[0] : torch.cat(ws, 0);
            var y = xin.transpose(1, 2).matmul(win.Times(o.Alpha));
            parts.Add(y.transpose(1, 2).reshape(b, (long)o.Mul * o.Dim));
        }
        return (parts.Count == 1 ? parts[0] : torch.cat(parts, 1)).MoveToOuterDisposeScope();
    }
}
