using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// The grid points each atom touches and their cardinal B-spline weights (smooth PME, Essmann et
/// al. 1995): with u = K·s (s fractional coordinates) and t = u − ⌊u⌋, the grid point ⌊u⌋ − j of
/// each direction gets M_n(t + j), j = 0..n−1. Weights are differentiable in positions and cell;
/// indices are plain integers (wrapped into the cell), flattened row-major over the grid.
sealed class BSplineStencil : IDisposable
{
    public BSplineStencil(Tensor positions, Tensor cell, long[] grid, int order)
    {
        using var scope = NewDisposeScope();
        Order = order;
        var shape = tensor(grid.Select(k => (double)k).ToArray(), dtype: positions.dtype, device: positions.device);
        var u = positions.matmul(linalg.inv(cell)) * shape;                      // [n, 3]
        var floor = u.detach().floor();
        var t = u - floor;                                                      // [n, 3] in [0, 1)
        var w = Weights(t, order);                                              // [n, 3, order]
        var j = arange(order, dtype: int64, device: positions.device);
        var points = (floor.to(int64).unsqueeze(2) - j).remainder(tensor(grid, device: positions.device).unsqueeze(1)); // [n, 3, order]
        long n = positions.shape[0], o = order;
        Weight = (w[.., 0].reshape(n, o, 1, 1) * w[.., 1].reshape(n, 1, o, 1) * w[.., 2].reshape(n, 1, 1, o)).reshape(n, o * o * o);
        Index = ((points[.., 0].reshape(n, o, 1, 1) * grid[1] + points[.., 1].reshape(n, 1, o, 1)) * grid[2]
                 + points[.., 2].reshape(n, 1, 1, o)).reshape(-1);
        Weight.DetachFromDisposeScope();
        Index.DetachFromDisposeScope();
    }

    public int Order { get; }

    /// [n, order³] weights of each atom's grid points.
    public Tensor Weight { get; }

    /// [n·order³] flattened grid index of each weight.
    public Tensor Index { get; }

    /// Grid of one per-atom value v [n]: Σ_i v_i M(u_i − g) at each of the <paramref name="points"/> grid points g, [points].
    /// One channel at a time keeps the temporaries at n·order³ values (and nothing per channel is kept for the backward
    /// pass beyond the shared weights).
    public Tensor Spread(Tensor values, long points) =>
        zeros(points, dtype: values.dtype, device: values.device).index_add(0, Index, (Weight * values.unsqueeze(1)).reshape(-1), 1.0);

    /// Values at the atoms of one grid [points]: Σ_g M(u_i − g) grid(g), [n].
    public Tensor Interpolate(Tensor grid) =>
        (grid.take(Index).reshape(Weight.shape[0], Weight.shape[1]) * Weight).sum(1);

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

    public void Dispose()
    {
        Weight.Dispose();
        Index.Dispose();
    }
}
