using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Spreading on and interpolation from a K₁×K₂×K₃ grid with cardinal B-splines (smooth PME, Essmann et al. 1995): with
/// u = K·s (s fractional coordinates) and t = u − ⌊u⌋, the grid point ⌊u⌋ − j of each direction gets M_n(t + j),
/// j = 0..n−1. The atoms are visited in the order of their grid cells (<see cref="SpatialOrder"/>), so that consecutive
/// atoms touch the same grid lines and the scatters and gathers of a large grid stay in cache. While positions or cell are
/// differentiated nothing per atom is stored: each call rebuilds the weights of a block of atoms at a time from the
/// positions and cell, and autograd keeps only those inputs (<see cref="RecomputedBlocks"/>; the backward pass rebuilds
/// one block at a time), so memory is O(N + grid) and every order of derivative in positions, cell and values works.
/// At a fixed geometry (no autograd, or autograd in the values only: the SCF's steps and the implicit products, tens per
/// geometry) the weights are built once and kept for the geometry's lifetime, 16·order³ bytes per atom, when that fits in
/// <see cref="KeptFraction"/> of the available memory (estimated before anything is kept; otherwise rebuilt per call).
sealed class BSplineStencil : IDisposable
{
    /// Stencil entries (atoms × order³) of one block at least: blocks of about a grid's size, so that the full-grid
    /// accumulation of each block costs no more than the block itself, and at most a few hundred MB of transients.
    public const long MinimumBlockEntries = 1L << 22;

    /// Largest share of the available memory the kept weights and indices of a fixed geometry may take.
    public const double KeptFraction = 0.25;

    readonly long[] _grid;
    readonly long _points;
    readonly long _atoms;
    readonly Tensor? _atomOrder, _inverseOrder;
    readonly Block?[] _stored;
    readonly Func<double> _available;
    bool? _keep;

    /// <param name="grid">K₁, K₂, K₃: the mesh points along each lattice vector.</param>
    /// <param name="order">n, the order of the B-splines (n³ grid points per atom).</param>
    /// <param name="atoms">the number of atoms spread and interpolated.</param>
    /// <param name="blockAtoms">atoms per block (null: about a grid's worth of stencil entries, <see cref="MinimumBlockEntries"/> at least).</param>
    /// <param name="atomOrder">[atoms] the order the atoms are visited in (owned; null: as given).</param>
    /// <param name="available">Bytes available for the kept weights (default: <see cref="ElectrostaticsMemory.AvailableBytes"/>).</param>
    public BSplineStencil(long[] grid, int order, long atoms, long? blockAtoms = null, Tensor? atomOrder = null, Func<double>? available = null)
    {
        _grid = grid;
        Order = order;
        _atoms = atoms;
        _points = grid[0] * grid[1] * grid[2];
        long cube = (long)order * order * order;
        BlockAtoms = blockAtoms ?? Math.Max(1, Math.Max(MinimumBlockEntries, _points) / cube);
        Blocks = (int)Math.Max(1, (atoms + BlockAtoms - 1) / BlockAtoms);
        _stored = new Block?[Blocks];
        _atomOrder = atomOrder?.DetachFromDisposeScope();
        _inverseOrder = atomOrder?.argsort().DetachFromDisposeScope();
        _available = available ?? ElectrostaticsMemory.AvailableBytes;
    }

    /// The atoms sorted by the flattened index of their grid cell ⌊u⌋ mod K (no gradient): [n].
    public static Tensor SpatialOrder(long[] grid, Tensor positions, Tensor cell)
    {
        using var scope = NewDisposeScope();
        var shape = tensor(grid.Select(k => (double)k).ToArray(), dtype: positions.dtype, device: positions.device);
        var cells = (positions.detach().matmul(linalg.inv(cell.detach())) * shape).floor().to(int64)
            .remainder(tensor(grid, device: positions.device));
        var key = cells[.., 0].Times(grid[1]).Plus(cells[.., 1]).Times(grid[2]).Plus(cells[.., 2]);
        return key.argsort().MoveToOuterDisposeScope();
    }

    /// Bytes of the weights and indices kept at a fixed geometry: 16·order³ per atom.
    public static double KeptBytes(long atoms, int order) => 16.0 * order * order * order * atoms;

    /// Whether the weights are kept at a fixed geometry (decided at the first such call; null before).
    public bool? Keeps => _keep;

    public int Order { get; }

    /// Atoms per block.
    public long BlockAtoms { get; }

    /// Blocks of atoms the stencil is built in.
    public int Blocks { get; }

    /// Grids of per-atom values v [n, C]: Σ_i v_ic M(u_i − g) at every grid point g, [C, K₁K₂K₃] flattened row-major. The
    /// channels share each block's weights.
    public Tensor Spread(Tensor values, Tensor positions, Tensor cell)
    {
        if (FixedGeometry(positions, cell)) return Stored((b, weights) => SpreadBlock(values, weights, _points), positions, cell, concatenated: false);
        // The adjoint of spreading is a gather with the same stencil: the backward pass (and a differentiated one) pairs the
        // incoming grid gradient with each block's weights instead of spreading the block on a whole grid under autograd.
        return RecomputedBlocks.Of(new BlockTerms(Blocks, Concatenated: false, (b, inputs, _) => SpreadBlock(inputs[0], Build(b, inputs[1], inputs[2]), _points),
                (b, inputs, grids) => SpreadPairing(inputs[0], grids, Build(b, inputs[1], inputs[2]))),
            values, positions, cell);
    }

    /// ⟨Spread_b(v), G⟩ = Σ_{i∈b} Σ_c v_ic Σ_j w_ij G_c(g_ij) for grids G [C, K₁K₂K₃]: a gather of G at the block's stencil points,
    /// differentiable in v, in the weights (positions and cell) and in G. Its gradient in (v, positions, cell) is the
    /// vector–Jacobian product of the block's spreading; its gradient in G is the spreading itself.
    static Tensor SpreadPairing(Tensor values, Tensor grids, Block block)
    {
        var (rows, weight, index) = block;
        var v = rows.Of(values);
        var flat = grids.view(v.shape[1], -1);
        var sampled = stack(Enumerable.Range(0, (int)v.shape[1])
            .Select(c => (weight * flat[c].index_select(0, index).view(weight.shape)).sum(1)).ToArray(), 1);  // [B, C]
        return (sampled * v).sum();
    }

    /// Values at the atoms of grids [F, K₁K₂K₃]: Σ_g M(u_i − g) grid_f(g), [n, F]. The grids share each block's weights.
    public Tensor Interpolate(Tensor grids, Tensor positions, Tensor cell)
    {
        // Rows of F values per grid point, so that each stencil point gathers one row.
        var rows = grids.t().contiguous();
        var values = FixedGeometry(positions, cell)
            ? Stored((b, weights) => InterpolateBlock(rows, weights), positions, cell, concatenated: true)
            : RecomputedBlocks.Of(new BlockTerms(Blocks, Concatenated: true, (b, inputs, _) => InterpolateBlock(inputs[0], Build(b, inputs[1], inputs[2]))),
                rows, positions, cell);
        return _inverseOrder is null ? values : values.index_select(0, _inverseOrder);
    }

    /// No derivative in positions or cell will be taken: the stencil is a constant of this geometry.
    static bool FixedGeometry(Tensor positions, Tensor cell) => !is_grad_enabled() || !(positions.requires_grad || cell.requires_grad);

    static Tensor SpreadBlock(Tensor values, Block block, long points)
    {
        var (rows, weight, index) = block;
        var v = rows.Of(values);
        // scatter_add, not index_add: the autograd node of index_add keeps its source, that of scatter_add only the indices.
        // One 1-D scatter per channel into its row of one [C, K₁K₂K₃] grid (no per-channel grid and no stacked copy): faster than
        // one scatter of [B·order³, C] rows (docs/benchmarks.md, "Fixed-point model at scale").
        var grids = zeros(v.shape[1], points, dtype: v.dtype, device: v.device);
        for (int c = 0; c < v.shape[1]; c++) grids[c].scatter_add_(0, index, (weight * v[.., c].unsqueeze(1)).reshape(-1));
        return grids;
    }

    /// The grid rows [P, F] at the block's stencil points, contracted with its weights by one batched product: [B, F].
    static Tensor InterpolateBlock(Tensor rows, Block block)
    {
        var (_, weight, index) = block;
        var gathered = rows.index_select(0, index).view(weight.shape[0], weight.shape[1], rows.shape[1]);
        return weight.unsqueeze(1).bmm(gathered).squeeze(1);
    }

    /// At a fixed geometry: the blocks' weights and indices are built once and kept (order³ weights and indices per atom, 8 KB at
    /// order 8) if they fit in <see cref="KeptFraction"/> of the available memory, else rebuilt without a graph; the blocks'
    /// results summed or concatenated.
    Tensor Stored(Func<int, Block, Tensor> evaluate, Tensor positions, Tensor cell, bool concatenated) =>
        Combine(Blocks, b => evaluate(b, FixedBlock(b, positions, cell)), concatenated);

    /// Block b at a fixed geometry: the kept one (built now if it is the first call), or one rebuilt without a graph.
    Block FixedBlock(int b, Tensor positions, Tensor cell)
    {
        _keep ??= KeptBytes(_atoms, Order) <= KeptFraction * _available();
        if (_stored[b] is { } kept) return kept;
        var block = Build(b, positions.detach(), cell.detach());
        if (_keep != true) return block;
        block.Weight.DetachFromDisposeScope();
        block.Index.DetachFromDisposeScope();
        block.Rows.Atoms?.DetachFromDisposeScope();
        _stored[b] = block;
        return block;
    }

    /// The kept blocks of a fixed geometry (all built by this call) and the order that puts interpolated rows back in the atoms'
    /// order (null: as given), or null when the weights are not kept (<see cref="KeptFraction"/>): the explicit products of
    /// <see cref="MeshOperator"/> read them.
    public (Block[] Blocks, Tensor? InverseOrder)? KeptBlocks(Tensor positions, Tensor cell)
    {
        _keep ??= KeptBytes(_atoms, Order) <= KeptFraction * _available();
        if (_keep != true) return null;
        for (int b = 0; b < Blocks; b++) FixedBlock(b, positions, cell);
        return (_stored.Select(block => block!.Value).ToArray(), _inverseOrder);
    }

    /// Grids [C, K₁K₂K₃] of per-atom values [n, C] spread with the given blocks (<see cref="Spread"/>).
    public static Tensor SpreadWith(IReadOnlyList<Block> blocks, Tensor values, long points) =>
        Combine(blocks.Count, b => SpreadBlock(values, blocks[b], points), concatenated: false);

    /// Values at the atoms [n, F] of grids [F, K₁K₂K₃] interpolated with the given blocks (<see cref="Interpolate"/>).
    public static Tensor InterpolateWith(IReadOnlyList<Block> blocks, Tensor? inverseOrder, Tensor grids)
    {
        var rows = grids.t().contiguous();
        var values = Combine(blocks.Count, b => InterpolateBlock(rows, blocks[b]), concatenated: true);
        return inverseOrder is null ? values : values.index_select(0, inverseOrder);
    }

    /// The blocks' results summed (accumulated, not held per block: 13 grids at 100,000 atoms) or concatenated, one block's
    /// transients at a time.
    static Tensor Combine(int count, Func<int, Tensor> evaluate, bool concatenated)
    {
        using var scope = NewDisposeScope();
        var parts = new List<Tensor>();
        Tensor? total = null;
        for (int b = 0; b < count; b++)
        {
            using var blockScope = NewDisposeScope();
            var part = evaluate(b);
            if (concatenated) parts.Add(part.MoveToOuterDisposeScope());
            else
            {
                var sum = (total is null ? part : total.Plus(part)).MoveToOuterDisposeScope();
                total?.Dispose();
                total = sum;
            }
        }
        return (concatenated ? cat(parts, 0) : total!).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        foreach (var block in _stored)
            if (block is { } b)
            {
                b.Weight.Dispose();
                b.Index.Dispose();
                b.Rows.Atoms?.Dispose();
            }
        _atomOrder?.Dispose();
        _inverseOrder?.Dispose();
    }

    /// The atoms of block b, their weights [B, order³] (differentiable in positions and cell) and flattened grid indices [B·order³].
    Block Build(int b, Tensor positions, Tensor cell)
    {
        long start = Math.Min(b * BlockAtoms, positions.shape[0]);
        long n = Math.Min(BlockAtoms, positions.shape[0] - start), o = Order;
        var shape = tensor(_grid.Select(k => (double)k).ToArray(), dtype: positions.dtype, device: positions.device);
        var rows = new Rows(start, n, _atomOrder?.narrow(0, start, n));
        var u = rows.Of(positions).matmul(linalg.inv(cell)) * shape;                // [B, 3]
        var floor = u.detach().floor();
        var w = Weights(u - floor, Order);                                        // [B, 3, order], t = u − ⌊u⌋ in [0, 1)
        var j = HeldScalars.Range(o, int64, positions.device);
        var points = (floor.to(int64).unsqueeze(2) - j).remainder(tensor(_grid, device: positions.device).unsqueeze(1)); // [B, 3, order]
        var weight = (w[.., 0].reshape(n, o, 1, 1) * w[.., 1].reshape(n, 1, o, 1) * w[.., 2].reshape(n, 1, 1, o)).reshape(n, o * o * o);
        var index = points[.., 0].reshape(n, o, 1, 1).Times(_grid[1]).Plus(points[.., 1].reshape(n, 1, o, 1)).Times(_grid[2])
                     .Plus(points[.., 2].reshape(n, 1, 1, o)).reshape(-1);
        return new Block(rows, weight, index);
    }

    /// One block's atoms, their weights [B, order³] and flattened grid indices [B·order³].
    internal readonly record struct Block(Rows Rows, Tensor Weight, Tensor Index);

    /// The atoms of a block: rows Start..Start+Length of the visiting order, Atoms their indices (null: in the given order).
    internal readonly record struct Rows(long Start, long Length, Tensor? Atoms)
    {
        /// The block's rows of per-atom values [n, ...].
        public Tensor Of(Tensor values) => Atoms is null ? values.narrow(0, Start, Length) : values.index_select(0, Atoms);
    }

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
                var x = t.Plus(j);
                var term = x * values[j];
                next[j] = j == 0 ? term.DividedBy(k - 1) : term.Plus(x.negative().Plus(k) * values[j - 1]).DividedBy(k - 1);
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
