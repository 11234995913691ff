using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Spreading on and interpolation from a K₁×K₂×K₃ grid with cardinal B-splines (smooth PME, Essmann et al. 1995): with
/// u = K·s (s fractional coordinates) and t = u − ⌊u⌋, the grid point ⌊u⌋ − j of each direction gets M_n(t + j),
/// j = 0..n−1. With autograd nothing per atom is stored: each call rebuilds the weights of a block of atoms at a time from the
/// positions and cell, and autograd keeps only those inputs (<see cref="RecomputedBlocks"/>; the backward pass rebuilds
/// one block at a time), so memory is O(N + grid) and every order of derivative in positions, cell and values works.
/// Without autograd (the SCF's steps, tens per geometry) the weights are built once and kept: O(N·order³).
sealed class BSplineStencil : IDisposable
{
    /// Stencil entries (atoms × order³) of one block at least: blocks of about a grid's size, so that the full-grid
    /// accumulation of each block costs no more than the block itself, and at most a few hundred MB of transients.
    public const long MinimumBlockEntries = 1L << 22;

    readonly long[] _grid;
    readonly long _points;
    readonly (Rows Rows, Tensor Weight, Tensor Index)?[] _stored;

    public BSplineStencil(long[] grid, int order, long atoms, long? blockAtoms = null)
    {
        _grid = grid;
        Order = order;
        _points = grid[0] * grid[1] * grid[2];
        long cube = (long)order * order * order;
        BlockAtoms = blockAtoms ?? Math.Max(1, Math.Max(MinimumBlockEntries, _points) / cube);
        Blocks = (int)Math.Max(1, (atoms + BlockAtoms - 1) / BlockAtoms);
        _stored = new (Rows, Tensor, Tensor)?[Blocks];
    }

    public int Order { get; }

    /// Atoms per block.
    public long BlockAtoms { get; }

    /// Blocks of atoms the stencil is built in.
    public int Blocks { get; }

    /// Grids of per-atom values v [n, C]: Σ_i v_ic M(u_i − g) at every grid point g, [C, K₁K₂K₃] flattened row-major. The
    /// channels share each block's weights.
    public Tensor Spread(Tensor values, Tensor positions, Tensor cell)
    {
        if (!is_grad_enabled()) return Stored((b, weights) => SpreadBlock(values, weights), positions, cell, concatenated: false);
        return RecomputedBlocks.Of(new BlockTerms(Blocks, Concatenated: false, (b, inputs, _) => SpreadBlock(inputs[0], Block(b, inputs[1], inputs[2]))),
            values, positions, cell);
    }

    /// Values at the atoms of grids [F, K₁K₂K₃]: Σ_g M(u_i − g) grid_f(g), [n, F]. The grids share each block's weights.
    public Tensor Interpolate(Tensor grids, Tensor positions, Tensor cell)
    {
        // Rows of F values per grid point, so that each stencil point gathers one row.
        var rows = grids.t().contiguous();
        if (!is_grad_enabled()) return Stored((b, weights) => InterpolateBlock(rows, weights), positions, cell, concatenated: true);
        return RecomputedBlocks.Of(new BlockTerms(Blocks, Concatenated: true, (b, inputs, _) => InterpolateBlock(inputs[0], Block(b, inputs[1], inputs[2]))),
            rows, positions, cell);
    }

    Tensor SpreadBlock(Tensor values, (Rows Rows, Tensor Weight, Tensor Index) block)
    {
        var (rows, weight, index) = block;
        var v = values.narrow(0, rows.Start, rows.Length);
        // scatter_add, not index_add: the autograd node of index_add keeps its source, that of scatter_add only the indices.
        // One 1-D scatter per channel: faster than one scatter of [B·order³, C] rows (docs/benchmarks.md, "Fixed-point model at scale").
        return stack(Enumerable.Range(0, (int)v.shape[1]).Select(c => zeros(_points, dtype: v.dtype, device: v.device)
            .scatter_add(0, index, (weight * v[.., c].unsqueeze(1)).reshape(-1))).ToArray(), 0);
    }

    /// The grid rows [P, F] at the block's stencil points, contracted with its weights by one batched product: [B, F].
    static Tensor InterpolateBlock(Tensor rows, (Rows Rows, Tensor Weight, Tensor Index) block)
    {
        var (_, weight, index) = block;
        var gathered = rows.index_select(0, index).view(weight.shape[0], weight.shape[1], rows.shape[1]);
        return weight.unsqueeze(1).bmm(gathered).squeeze(1);
    }

    /// Without autograd (the SCF's graph-free steps): the blocks' weights and indices are built once and kept (order³ weights and
    /// indices per atom, 8 KB at order 8), and the blocks' results summed or concatenated.
    Tensor Stored(Func<int, (Rows, Tensor, Tensor), Tensor> evaluate, Tensor positions, Tensor cell, bool concatenated)
    {
        using var scope = NewDisposeScope();
        var parts = new Tensor[Blocks];
        for (int b = 0; b < Blocks; b++)
        {
            if (_stored[b] is null)
            {
                var block = Block(b, positions.detach(), cell.detach());
                block.Weight.DetachFromDisposeScope();
                block.Index.DetachFromDisposeScope();
                _stored[b] = block;
            }
            parts[b] = evaluate(b, _stored[b]!.Value);
        }
        var result = concatenated ? cat(parts, 0) : parts.Aggregate((x, y) => x + y);
        return result.MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var block in _stored)
            if (block is { } b)
            {
                b.Weight.Dispose();
                b.Index.Dispose();
            }
    }

    /// The atoms of block b, their weights [B, order³] (differentiable in positions and cell) and flattened grid indices [B·order³].
    (Rows Rows, Tensor Weight, Tensor Index) Block(int b, Tensor positions, Tensor cell)
    {
        long start = Math.Min(b * BlockAtoms, positions.shape[0]);
        long n = Math.Min(BlockAtoms, positions.shape[0] - start), o = Order;
        var shape = tensor(_grid.Select(k => (double)k).ToArray(), dtype: positions.dtype, device: positions.device);
        var u = positions.narrow(0, start, n).matmul(linalg.inv(cell)) * shape;   // [B, 3]
        var floor = u.detach().floor();
        var w = Weights(u - floor, Order);                                        // [B, 3, order], t = u − ⌊u⌋ in [0, 1)
        var j = arange(o, dtype: int64, device: positions.device);
        var points = (floor.to(int64).unsqueeze(2) - j).remainder(tensor(_grid, device: positions.device).unsqueeze(1)); // [B, 3, order]
        var weight = (w[.., 0].reshape(n, o, 1, 1) * w[.., 1].reshape(n, 1, o, 1) * w[.., 2].reshape(n, 1, 1, o)).reshape(n, o * o * o);
        var index = ((points[.., 0].reshape(n, o, 1, 1) * _grid[1] + points[.., 1].reshape(n, 1, o, 1)) * _grid[2]
                     + points[.., 2].reshape(n, 1, 1, o)).reshape(-1);
        return (new Rows(start, n), weight, index);
    }

    readonly record struct Rows(long Start, long Length);

    /// M_n(t + j) for j = 0..n−1, by the Cox–de Boor recursion M_k(x) = [x M_{k−1}(x) + (k − x) M_{k−1}(x − 1)]/(k − 1)
    /// starting from M_1(t + j) = δ_j0; [.., order] appended to t's shape.
    public static Tensor Weights(Tensor t, int order)
    {
        var values = new Tensor[order];
        values[0] = ones_like(t);
        for (int j = 1; j < order; j++) values[j] = zeros_like(t);
        for (int k = 2; k <= order; k++)
        {
            var next = new Tensor[order];
            for (int j = 0; j < order; j++)
            {
                var x = t + j;
                var term = x * values[j];
                next[j] = j == 0 ? term / (k - 1) : (term + (k - x) * values[j - 1]) / (k - 1);
            }
            values = next;
        }
        return stack(values, -1);
    }

    /// M_n at the integers 1..n−1 (M_n(0) = M_n(n) = 0).
    public static double[] IntegerValues(int order)
    {
        using var scope = NewDisposeScope();
        var w = Weights(zeros(1, dtype: float64), order).reshape(-1).data<double>().ToArray();
        return w.Skip(1).ToArray();
    }
}
