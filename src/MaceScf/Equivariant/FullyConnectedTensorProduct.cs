using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// e3nn's FullyConnectedTensorProduct (mode "uvw", shared internal weights): a path for every (i1, i2, i_out) with
/// ir_out ∈ ir1 ⊗ ir2, in loop order i1 → i2 → i_out, each with a weight block W[mul1, mul2, mul_out] (flat parameter
/// `weight`, ~N(0,1)); out[w,k] = Σ_paths α Σ_{u,v} W[u,v,w] Σ_ij C^{(l1,l2,l3)}_{ijk} x1[u,i] x2[v,j] with
/// α = √(dim ir_out / Σ_{paths into i_out} mul1·mul2). Per path: x2 with C, one bmm with x1, one matmul with W.
internal sealed class FullyConnectedTensorProduct : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly PathKernel[] _paths;

    private sealed record PathKernel(TensorProductPath Path, CachedConstant Cg, long WeightOffset); // Cg [d2, d1·d3]

    public Irreps Irreps1 { get; }

    public Irreps Irreps2 { get; }

    public Irreps IrrepsOut { get; }

    public IReadOnlyList<TensorProductPath> Paths => _paths.Select(p => p.Path).ToArray();

    public long WeightNumel { get; }

    public Parameter Weight => get_parameter("weight")!;

    public FullyConnectedTensorProduct(Irreps irreps1, Irreps irreps2, Irreps irrepsOut, ScalarType dtype = ScalarType.Float64)
        : base(nameof(FullyConnectedTensorProduct))
    {
        using var scope = NewDisposeScope();
        Irreps1 = irreps1;
        Irreps2 = irreps2;
        IrrepsOut = irrepsOut;
        var raw = new List<(int I1, int I2, int O)>();
        for (int i1 = 0; i1 < irreps1.Count; i1++)
        for (int i2 = 0; i2 < irreps2.Count; i2++)
        for (int o = 0; o < irrepsOut.Count; o++)
            if (irreps1[i1].Ir.Times(irreps2[i2].Ir).Contains(irrepsOut[o].Ir)) raw.Add((i1, i2, o));
        var fanIn = new long[irrepsOut.Count];
        foreach (var (i1, i2, o) in raw) fanIn[o] += (long)irreps1[i1].Mul * irreps2[i2].Mul;
        long offset = 0;
        _paths = raw.Select(r =>
        {
            var (ir1, ir2, irOut) = (irreps1[r.I1].Ir, irreps2[r.I2].Ir, irrepsOut[r.O].Ir);
            var path = new TensorProductPath(r.I1, r.I2, r.O, ir1, ir2, irOut, Math.Sqrt(irOut.Dim / (double)fanIn[r.O]));
            var cg = Wigner3j.AsTensor(ir1.L, ir2.L, irOut.L).permute(1, 0, 2).reshape(ir2.Dim, ir1.Dim * irOut.Dim);
            var kernel = new PathKernel(path, new CachedConstant(cg), offset);
            offset += (long)irreps1[r.I1].Mul * irreps2[r.I2].Mul * irrepsOut[r.O].Mul;
            return kernel;
        }).ToArray();
        WeightNumel = offset;
        register_parameter("weight", NormalParameter.Create([offset], dtype));
    }

    /// x1 [B, Irreps1.Dim], x2 [B, Irreps2.Dim] → [B, IrrepsOut.Dim] (mul_ir).
    public override Tensor forward(Tensor x1, Tensor x2)
    {
        using var scope = NewDisposeScope();
        long b = x1.shape[0];
        int[] o1 = Irreps1.Offsets(), o2 = Irreps2.Offsets();
        var sums = new Tensor?[IrrepsOut.Count];
        var w = Weight;
        foreach (var k in _paths)
        {
            var p = k.Path;
            int mul1 = Irreps1[p.Input1].Mul, mul2 = Irreps2[p.Input2].Mul, mulOut = IrrepsOut[p.Output].Mul;
            int d1 = p.Ir1.Dim, d2 = p.Ir2.Dim, d3 = p.IrOut.Dim;
            var a = x1.narrow(1, o1[p.Input1], (long)mul1 * d1).view(b, mul1, d1);
            var s = x2.narrow(1, o2[p.Input2], (long)mul2 * d2).view(b, mul2, d2);
            // T[b, i, (v, k)] = Σ_j C_ijk x2[b, v, j]; then Σ_i x1[b, u, i] T → [b, (u, v), k]; then W over (u, v).
            var t = s.matmul(k.Cg.For(s)).view(b, mul2, d1, d3).permute(0, 2, 1, 3).reshape(b, d1, (long)mul2 * d3);
            var uv = a.bmm(t).view(b, (long)mul1 * mul2, d3);
            var wp = w.narrow(0, k.WeightOffset, (long)mul1 * mul2 * mulOut).view((long)mul1 * mul2, mulOut);
            var y = uv.transpose(1, 2).matmul(wp.Times(p.Alpha)).transpose(1, 2); // [b, mulOut, d3]
            sums[p.Output] = sums[p.Output] is { } acc ? acc.Plus(y) : y;
        }
        var parts = Enumerable.Range(0, IrrepsOut.Count).Select(o => sums[o] is { } y
            ? y.reshape(b, IrrepsOut[o].Dim)
            : torch.zeros(b, IrrepsOut[o].Dim, dtype: x1.dtype, device: x1.device)).ToArray();
        return (parts.Length == 1 ? parts[0] : torch.cat(parts, 1)).MoveToOuterDisposeScope();
    }

    /// forward(x1, one_hot(elements, Z)) when Irreps2 is a single segment "Zx0e" (MACE's skip connection), computed per
    /// element present as x1 · W[:, z, :] (C^{(l,0,l)} = δ/√(2l+1)) instead of a dense product with the one-hot vector.
    /// x1 [B, Irreps1.Dim], elements [B] (long, 0..Z−1) → [B, IrrepsOut.Dim] (mul_ir).
    public Tensor ForwardOneHot(Tensor x1, Tensor elements)
    {
        if (Irreps2.Count != 1 || Irreps2[0].Ir != new Irrep(0, 1))
            throw new InvalidOperationException("ForwardOneHot needs the second input to be one 0e segment.");
        using var scope = NewDisposeScope();
        long b = x1.shape[0];
        int z = Irreps2[0].Mul;
        int[] o1 = Irreps1.Offsets(), oOut = IrrepsOut.Offsets();
        var output = torch.zeros(b, IrrepsOut.Dim, dtype: x1.dtype, device: x1.device);
        var w = Weight;
        foreach (long element in torch.unique(elements).Item1.cpu().data<long>().ToArray())
        {
            using var inner = NewDisposeScope();
            var nodes = elements.EqualTo(element).nonzero().squeeze(1);
            long n = nodes.shape[0];
            var xs = x1.index_select(0, nodes);
            var sums = new Tensor?[IrrepsOut.Count];
            foreach (var k in _paths)
            {
                var p = k.Path;
                int mul1 = Irreps1[p.Input1].Mul, mulOut = IrrepsOut[p.Output].Mul, d = p.IrOut.Dim;
                var wz = w.narrow(0, k.WeightOffset, (long)mul1 * z * mulOut).view(mul1, z, mulOut).select(1, element);
                var a = xs.narrow(1, o1[p.Input1], (long)mul1 * d).view(n, mul1, d);
                var y = a.transpose(1, 2).matmul(wz.Times(p.Alpha / Math.Sqrt(d))).transpose(1, 2); // [n, mulOut, d]
                sums[p.Output] = sums[p.Output] is { } acc ? acc.Plus(y) : y;
            }
            var block = torch.cat(Enumerable.Range(0, IrrepsOut.Count).Select(o => sums[o] is { } y
                ? y.reshape(n, IrrepsOut[o].Dim)
                : torch.zeros(n, IrrepsOut[o].Dim, dtype: x1.dtype, device: x1.device)).ToArray(), 1);
            using var one = 1.0.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
            output = output.index_add(0, nodes, block, one).MoveToOuterDisposeScope();
        }
        return output.MoveToOuterDisposeScope();
    }
}
