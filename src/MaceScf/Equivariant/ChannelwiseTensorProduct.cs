using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// One path of a tensor product: input segments I1, I2 → output segment Out, with its normalisation α.
internal sealed record TensorProductPath(int Input1, int Input2, int Output, Irrep Ir1, Irrep Ir2, Irrep IrOut, double Alpha);

/// e3nn's TensorProduct in mode "uvu" with external per-sample weights, built as MACE's conv_tp: for every input
/// segment i (multiplicity C), every segment j of irreps2 (multiplicity 1) and every ir_out ∈ ir_i ⊗ ir_j present in the
/// target irreps, a path with its own output segment C×ir_out. Output segments are stable-sorted by irrep
/// (<see cref="IrrepsOut"/>, not simplified) and the paths follow that order, which is the weight order:
/// out_p[u, k] = α_p w[p, u] Σ_{ij} C^{(l1,l2,l3)}_{ijk} x1[u, i] x2[j], α_p = √(2 l3 + 1).
/// Kernel per path (component-major features [B, 2l+1, C]): fold the weight into the input rows, x1_p ⊙ w_p, contract the
/// coupling with x2, G_p = x2 · α_p C_p [B, 2l1+1, 2l3+1], then one bmm G_pᵀ (x1_p ⊙ w_p) → [B, 2l3+1, C]. This touches
/// only Σ_p (2l1+1) weighted rows and measured 3–4× faster (backward, double backward) than one dense bmm over all paths.
internal sealed class ChannelwiseTensorProduct : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly CachedConstant[] _coupling; // per path: α C permuted to [2l2+1, (2l1+1)·(2l3+1)]
    private readonly int[] _rows1; // per path: first component row of its input-1 segment
    private readonly int[] _rows2; // per path: first column of its input-2 segment
    private readonly int _channels;

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

        int[] componentOffsets = ComponentOffsets(irreps1), offsets2 = irreps2.Offsets();
        _rows1 = Paths.Select(p => componentOffsets[p.Input1]).ToArray();
        _rows2 = Paths.Select(p => offsets2[p.Input2]).ToArray();
        _coupling = Paths.Select(p => new CachedConstant((Wigner3j.AsTensor(p.Ir1.L, p.Ir2.L, p.IrOut.L) * p.Alpha)
            .permute(1, 0, 2).reshape(p.Ir2.Dim, p.Ir1.Dim * p.IrOut.Dim))).ToArray();
    }

    /// Per-sample product. x1 [B, Irreps1.Dim], x2 [B, Irreps2.Dim], weights [B, WeightNumel] → [B, IrrepsOut.Dim] (mul_ir).
    public override Tensor forward(Tensor x1, Tensor x2, Tensor weights)
    {
        using var scope = NewDisposeScope();
        var x = IrrepsLayout.ToComponentMajor(x1, Irreps1);
        var w = weights.view(x.shape[0], Paths.Count, _channels);
        var m = Enumerable.Range(0, Paths.Count).Select(k => Message(k, x, x2, w)).ToArray();
        return IrrepsLayout.FromComponentMajor(torch.cat(m, 1), IrrepsOut).MoveToOuterDisposeScope();
    }

    /// Message passing: gathers sender features, multiplies per edge, sums at the receivers.
    /// nodeFeats [N, Irreps1.Dim], edgeAttrs [E, Irreps2.Dim], edgeWeights [E, WeightNumel], sender/receiver [E] (long)
    /// → [numNodes, IrrepsOut.Dim] (mul_ir).
    public Tensor Convolve(Tensor nodeFeats, Tensor edgeAttrs, Tensor edgeWeights, Tensor sender, Tensor receiver, long numNodes)
    {
        using var scope = NewDisposeScope();
        var x1 = IrrepsLayout.ToComponentMajor(nodeFeats, Irreps1).index_select(0, sender);
        var w = edgeWeights.view(x1.shape[0], Paths.Count, _channels);
        var summed = new Tensor[Paths.Count];
        for (int k = 0; k < Paths.Count; k++)
        {
            // The per-edge message is not needed by autograd after the scatter: free it now to bound peak memory.
            using var m = Message(k, x1, edgeAttrs, w);
            summed[k] = torch.zeros(numNodes, m.shape[1], _channels, dtype: m.dtype, device: m.device).index_add(0, receiver, m, 1.0);
        }
        return IrrepsLayout.FromComponentMajor(torch.cat(summed, 1), IrrepsOut).MoveToOuterDisposeScope();
    }

    /// Path k: x1 [B, Σ(2l1+1), C] (component-major), x2 [B, d2], w [B, paths, C] → [B, 2l3+1, C].
    private Tensor Message(int k, Tensor x1, Tensor x2, Tensor w)
    {
        var p = Paths[k];
        var weighted = x1.narrow(1, _rows1[k], p.Ir1.Dim) * w.narrow(1, k, 1);
        var g = x2.narrow(1, _rows2[k], p.Ir2.Dim).matmul(_coupling[k].For(x2)).view(x1.shape[0], p.Ir1.Dim, p.IrOut.Dim);
        return g.transpose(1, 2).bmm(weighted);
    }

    private static int[] ComponentOffsets(Irreps irreps)
    {
        var o = new int[irreps.Count + 1];
        for (int s = 0; s < irreps.Count; s++) o[s + 1] = o[s] + irreps[s].Ir.Dim;
        return o;
    }
}
