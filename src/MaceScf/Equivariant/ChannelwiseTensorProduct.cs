using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// One path of a tensor product: input segments I1, I2 → output segment Out, with its normalisation α.
public sealed record TensorProductPath(int Input1, int Input2, int Output, Irrep Ir1, Irrep Ir2, Irrep IrOut, double Alpha);

/// e3nn's TensorProduct in mode "uvu" with external per-sample weights, built as MACE's conv_tp: for every input
/// segment i (multiplicity C), every segment j of irreps2 (multiplicity 1) and every ir_out ∈ ir_i ⊗ ir_j present in the
/// target irreps, a path with its own output segment C×ir_out. Output segments are stable-sorted by irrep
/// (<see cref="IrrepsOut"/>, not simplified) and the paths follow that order, which is the weight order:
/// out_p[u, k] = α_p w[p, u] Σ_{ij} C^{(l1,l2,l3)}_{ijk} x1[u, i] x2[j], α_p = √(2 l3 + 1).
/// Kernel: G = x2 · Ĉ (all paths' √(2l3+1)·CG blocks in one [d2, d1·cols] matrix), then one bmm with x1 per sample.
public sealed class ChannelwiseTensorProduct : nn.Module
{
    private readonly CachedConstant _coupling; // [d2, d1 * cols]
    private readonly (int FirstPath, int Paths, int Dim)[] _groups; // consecutive paths with the same output irrep
    private readonly int _channels;
    private readonly int _d1;
    private readonly int _cols;

    public Irreps Irreps1 { get; }

    public Irreps Irreps2 { get; }

    public Irreps IrrepsOut { get; }

    /// Paths in weight order (sorted by output segment).
    public IReadOnlyList<TensorProductPath> Paths { get; }

    /// Per-sample weights are [.., WeightNumel] = [.., paths × C], column p·C + u ↔ path p, channel u.
    public int WeightNumel => Paths.Count * _channels;

    public ChannelwiseTensorProduct(Irreps irreps1, Irreps irreps2, Irreps targetIrreps) : base(nameof(ChannelwiseTensorProduct))
    {
        using var scope = NewDisposeScope();
        _channels = IrrepsLayout.RequireUniform(irreps1);
        if (irreps2.Segments.Any(s => s.Mul != 1)) throw new ArgumentException("The second input must have multiplicity 1 per segment.");
        Irreps1 = irreps1;
        Irreps2 = irreps2;

        var outSegments = new List<MulIrrep>();
        var raw = new List<(int I1, int I2, Irrep Out)>();
        for (int i = 0; i < irreps1.Count; i++)
        for (int j = 0; j < irreps2.Count; j++)
            foreach (var irOut in irreps1[i].Ir.Times(irreps2[j].Ir))
                if (targetIrreps.Contains(irOut))
                {
                    raw.Add((i, j, irOut));
                    outSegments.Add(new MulIrrep(_channels, irOut));
                }
        var (sorted, perm, _) = new Irreps(outSegments).Sort();
        IrrepsOut = sorted;
        // Each path has its own output segment, so the path of sorted segment k is raw path perm[k]; α = √(dim/mul2).
        Paths = perm.Select((p, k) => new TensorProductPath(raw[p].I1, raw[p].I2, k, irreps1[raw[p].I1].Ir, irreps2[raw[p].I2].Ir,
            raw[p].Out, Math.Sqrt(raw[p].Out.Dim))).ToArray();

        _d1 = irreps1.Segments.Sum(s => s.Ir.Dim);
        int d2 = irreps2.Dim;
        _cols = sorted.Segments.Sum(s => s.Ir.Dim);
        var coupling = new double[d2, _d1, _cols];
        int[] off1 = ComponentOffsets(irreps1), off2 = irreps2.Offsets();
        int col = 0;
        foreach (var path in Paths)
        {
            var c = Wigner3j.Compute(path.Ir1.L, path.Ir2.L, path.IrOut.L);
            for (int i = 0; i < path.Ir1.Dim; i++)
            for (int j = 0; j < path.Ir2.Dim; j++)
            for (int k = 0; k < path.IrOut.Dim; k++)
                coupling[off2[path.Input2] + j, off1[path.Input1] + i, col + k] = path.Alpha * c[i, j, k];
            col += path.IrOut.Dim;
        }
        _coupling = new CachedConstant(torch.tensor(Flatten(coupling), new long[] { d2, (long)_d1 * _cols }, dtype: ScalarType.Float64));
        _groups = Paths.Select((p, i) => (p, i)).GroupBy(t => t.p.IrOut)
            .Select(g => (g.First().i, g.Count(), g.Key.Dim)).ToArray();
    }

    /// Per-sample product. x1 [B, Irreps1.Dim], x2 [B, Irreps2.Dim], weights [B, WeightNumel] → [B, IrrepsOut.Dim] (mul_ir).
    public Tensor forward(Tensor x1, Tensor x2, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var m = Messages(IrrepsLayout.ToComponentMajor(x1, Irreps1), x2, weights);
        return IrrepsLayout.FromComponentMajor(torch.cat(m, 1), IrrepsOut).MoveToOuterDisposeScope();
    }

    /// Message passing: gathers sender features, multiplies per edge, sums at the receivers.
    /// nodeFeats [N, Irreps1.Dim], edgeAttrs [E, Irreps2.Dim], edgeWeights [E, WeightNumel], sender/receiver [E] (long)
    /// → [numNodes, IrrepsOut.Dim] (mul_ir).
    public Tensor Convolve(Tensor nodeFeats, Tensor edgeAttrs, Tensor edgeWeights, Tensor sender, Tensor receiver, long numNodes)
    {
        using var scope = NewDisposeScope();
        var x1 = IrrepsLayout.ToComponentMajor(nodeFeats, Irreps1).index_select(0, sender);
        var m = Messages(x1, edgeAttrs, edgeWeights);
        var summed = m.Select(g => torch.zeros(numNodes, g.shape[1], _channels, dtype: g.dtype, device: g.device).index_add(0, receiver, g, 1.0));
        return IrrepsLayout.FromComponentMajor(torch.cat(summed.ToArray(), 1), IrrepsOut).MoveToOuterDisposeScope();
    }

    /// x1 [B, d1, C] (component-major), x2 [B, d2], w [B, paths·C] → per output irrep group [B, n_g·(2l+1), C]
    /// (concatenated: [B, cols, C]). The weight of a path multiplies all 2l+1 columns of its segment by broadcasting.
    private Tensor[] Messages(Tensor x1, Tensor x2, Tensor w)
    {
        long b = x1.shape[0];
        var g = x2.matmul(_coupling.For(x2)).view(b, _d1, _cols);
        var m = g.transpose(1, 2).bmm(x1);
        var wp = w.view(b, Paths.Count, _channels);
        var parts = new Tensor[_groups.Length];
        int col = 0;
        for (int i = 0; i < _groups.Length; i++)
        {
            var (first, n, d) = _groups[i];
            var block = m.narrow(1, col, (long)n * d).view(b, n, d, _channels) * wp.narrow(1, first, n).unsqueeze(2);
            parts[i] = block.view(b, (long)n * d, _channels);
            col += n * d;
        }
        return parts;
    }

    private static int[] ComponentOffsets(Irreps irreps)
    {
        var o = new int[irreps.Count + 1];
        for (int s = 0; s < irreps.Count; s++) o[s + 1] = o[s] + irreps[s].Ir.Dim;
        return o;
    }

    internal static double[] Flatten(Array a)
    {
        var flat = new double[a.Length];
        Buffer.BlockCopy(a, 0, flat, 0, a.Length * sizeof(double));
        return flat;
    }
}
