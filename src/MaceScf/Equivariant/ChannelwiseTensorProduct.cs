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
/// Per-sample kernel per path (component-major features [B, 2l+1, C]): fold the weight into the input rows, x1_p ⊙ w_p,
/// contract the coupling with x2, G_p = x2 · α_p C_p [B, 2l1+1, 2l3+1], then one bmm G_pᵀ (x1_p ⊙ w_p) → [B, 2l3+1, C].
/// The convolution (<see cref="ConvolveTiles"/>) instead sums over each receiver's edges before the coupling.
internal sealed class ChannelwiseTensorProduct : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    private readonly CachedConstant[] _coupling; // per path: α C permuted to [2l2+1, (2l1+1)·(2l3+1)]
    private readonly int[] _rows1; // per path: first component row of its input-1 segment
    private readonly int[] _rows2; // per path: first column of its input-2 segment
    private readonly int _channels;
    private readonly PathGroup[] _groups; // paths with the same pair of input segments, in group order
    private readonly CachedConstant _groupOrder; // position in group order → path
    private readonly CachedConstant _groupColumns; // weight column in group order → column in path order
    private readonly CachedConstant[] _pathCoupling; // per path: α C permuted to [(2l2+1)·(2l1+1), 2l3+1]
    private readonly ContractionGroup[] _contractionGroups; // per group: its segments, paths and block of the sums (SegmentContraction)
    private readonly int _componentRows; // Σ (2l1+1) over the segments of Irreps1

    private sealed record PathGroup(int Input1, int Input2, int[] Paths);

    public Irreps Irreps1 { get; }

    public Irreps Irreps2 { get; }

    public Irreps IrrepsOut { get; }

    /// Paths in weight order (sorted by output segment).
    public IReadOnlyList<TensorProductPath> Paths { get; }

    /// Per-sample weights are [.., WeightNumel] = [.., paths × C], column p·C + u ↔ path p, channel u.
    public int WeightNumel => Paths.Count * _channels;

    /// Numbers <see cref="ConvolveTiles"/> keeps per tiled edge row for its backward pass: the edge attributes (Irreps2.Dim) and
    /// the radial weights (<see cref="WeightNumel"/>), the operands of <see cref="SegmentContraction"/> (its index arrays, three
    /// 32-bit integers per row, are not counted).
    public long SavedNumbersPerRow => Irreps2.Dim + WeightNumel;

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
        _coupling = Paths.Select(p => new CachedConstant(Wigner3j.AsTensor(p.Ir1.L, p.Ir2.L, p.IrOut.L).Times(p.Alpha)
            .permute(1, 0, 2).reshape(p.Ir2.Dim, p.Ir1.Dim * p.IrOut.Dim))).ToArray();
        _pathCoupling = Paths.Select(p => new CachedConstant(Wigner3j.AsTensor(p.Ir1.L, p.Ir2.L, p.IrOut.L).Times(p.Alpha)
            .permute(1, 0, 2).reshape(p.Ir2.Dim * p.Ir1.Dim, p.IrOut.Dim))).ToArray();
        _groups = Paths.Select((p, k) => (p, k)).GroupBy(t => (t.p.Input1, t.p.Input2))
            .Select(g => new PathGroup(g.Key.Input1, g.Key.Input2, g.Select(t => t.k).ToArray())).ToArray();
        _componentRows = componentOffsets[^1];
        var groups = new List<ContractionGroup>();
        int firstPath = 0, offset = 0;
        foreach (var g in _groups)
        {
            int d1 = irreps1[g.Input1].Ir.Dim, d2 = irreps2[g.Input2].Ir.Dim;
            groups.Add(new ContractionGroup(componentOffsets[g.Input1], d1, offsets2[g.Input2], d2, firstPath, g.Paths.Length, offset));
            firstPath += g.Paths.Length;
            offset += d2 * g.Paths.Length * d1;
        }
        _contractionGroups = [.. groups];
        var order = _groups.SelectMany(g => g.Paths).ToArray();
        _groupOrder = new CachedConstant(torch.tensor(order.Select(k => (long)k).ToArray()));
        _groupColumns = new CachedConstant(torch.tensor(order.SelectMany(k => Enumerable.Range(k * _channels, _channels).Select(c => (long)c)).ToArray()));
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
        using var tiles = EdgeTiles.Build(receiver, numNodes);
        var grouped = edgeWeights.view(-1, Paths.Count, _channels).index_select(1, _groupOrder.For(sender)).view(-1, WeightNumel);
        return ConvolveTiles(nodeFeats, tiles.Pad(edgeAttrs), tiles.Pad(grouped), tiles.Pad(sender), tiles.Receivers, numNodes)
            .MoveToOuterDisposeScope();
    }

    /// <see cref="Convolve"/> with the radial weights w = radial(edgeFeats) of the edges: the network emits the weights in group
    /// order directly (its last layer's columns permuted). Without <paramref name="edgeRows"/> it runs on the tiled edges, so no
    /// per-edge weight is copied; with them (edgeFeats [P, ·] per pair of edges of equal length, edgeRows [E] the row of every
    /// edge) it runs once per row and one gather puts the weights in tile order.
    public Tensor Convolve(Tensor nodeFeats, Tensor edgeAttrs, Tensor edgeFeats, FullyConnectedNet radial, Tensor sender, Tensor receiver,
        long numNodes, Tensor? edgeRows = null)
    {
        using var scope = NewDisposeScope();
        using var tiles = EdgeTiles.Build(receiver, numNodes);
        var weights = edgeRows is null
            ? radial.Apply(tiles.Pad(edgeFeats), GroupedWeights(radial.Weights))
            : radial.Apply(edgeFeats, GroupedWeights(radial.Weights)).index_select(0, tiles.RowsOf(edgeRows));
        return ConvolveTiles(nodeFeats, tiles.Pad(edgeAttrs), weights, tiles.Pad(sender), tiles.Receivers, numNodes)
            .MoveToOuterDisposeScope();
    }

    /// The radial network's weights with the columns of the last layer in group order (the per-edge weights it then emits are
    /// what <see cref="ConvolveTiles"/> takes).
    public Tensor[] GroupedWeights(IReadOnlyList<Tensor> radialWeights) =>
        [.. radialWeights.Take(radialWeights.Count - 1), radialWeights[^1].index_select(1, _groupColumns.For(radialWeights[^1]))];

    /// The convolution on edges in tile order (<see cref="EdgeTiles"/>): edgeAttrs [R, Irreps2.Dim], weights [R, WeightNumel]
    /// in group order (paths grouped by their pair of input segments), sender [R] (long), tileReceivers [R / EdgeTiles.Size]
    /// → [numNodes, IrrepsOut.Dim] (mul_ir). Padding rows must have zero edge attributes. Per group g of paths with input
    /// segments (s, j), the sums S_g[i, m2, q, m1, c] = Σ_{e→i} Y_j[e, m2] x_s[sender(e), m1, c] w_g[e, q, c] (before any coupling)
    /// in one pass over the edges (<see cref="SegmentContraction"/>: no per-edge product is formed); then per path the coupling
    /// α C on nodes, [N·C, (2l2+1)(2l1+1)] × [(2l2+1)(2l1+1), 2l3+1].
    public Tensor ConvolveTiles(Tensor nodeFeats, Tensor edgeAttrs, Tensor weights, Tensor sender, Tensor tileReceivers, long numNodes)
    {
        using var scope = NewDisposeScope();
        var graph = new ContractionGraph(_contractionGroups, _channels, _componentRows, Irreps2.Dim, Paths.Count,
            sender.data<long>().ToArray(), tileReceivers.data<long>().ToArray(), EdgeTiles.Size, nodeFeats.shape[0], numNodes);
        var x = IrrepsLayout.ToComponentMajor(nodeFeats, Irreps1).reshape(nodeFeats.shape[0], -1);
        var summed = SegmentContraction.Of(graph, ContractionSlot.Sum, x, edgeAttrs, weights);
        var outputs = new Tensor[Paths.Count];
        foreach (var (g, group) in _groups.Zip(_contractionGroups))
        {
            int n = g.Paths.Length;
            var block = summed.narrow(1, (long)group.Offset * _channels, (long)group.Dim2 * n * group.Dim1 * _channels)
                .view(numNodes, group.Dim2, n, group.Dim1, _channels).unbind(2);
            for (int q = 0; q < n; q++)
            {
                int p = g.Paths[q], d3 = Paths[p].IrOut.Dim;
                var flat = block[q].permute(0, 3, 1, 2).reshape(numNodes * _channels, (long)group.Dim2 * group.Dim1);
                outputs[p] = flat.mm(_pathCoupling[p].For(flat)).view(numNodes, (long)_channels * d3);
            }
        }
        return torch.cat(outputs, 1).MoveToOuterDisposeScope();
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
