using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The dense Jacobian J = ∂R/∂y of a residual made of independent blocks (the frames of a batch): unknown u belongs to block
/// b(u), and R_u depends only on the unknowns of its own block. One vector–Jacobian product finds a row of every block at once
/// (docs/training.md, "Training modes"): v_c has a 1 at the c-th unknown of each block, so vᵀJ holds, in the columns of
/// block b, row c of that block. J takes max_b |b| products instead of one per unknown (a batch of 4 frames: 4× fewer).
internal static class BlockJacobian
{
    /// J (D × D) with rows and columns ordered as y; entries between different blocks are 0.
    /// <param name="residual">R(y) [D], on the graph of <paramref name="y"/></param>
    /// <param name="y">the unknowns [D]</param>
    /// <param name="block">the block of each unknown (length D)</param>
    /// <param name="createGraph">keep J on the graph (its rows differentiable with respect to the parameters)</param>
    /// <param name="products">counts the vector–Jacobian products taken</param>
    public static Tensor Of(Tensor residual, Tensor y, long[] block, bool createGraph, Action? products = null)
    {
        long d = y.shape[0];
        if (block.Length != d) throw new ArgumentException($"{block.Length} block indices for {d} unknowns", nameof(block));
        var (color, colors) = Colors(block);
        var colorIndex = tensor(color);
        var rows = new Tensor[colors];
        for (int c = 0; c < colors; c++)
        {
            var v = colorIndex.EqualTo(c).to(y.dtype);
            rows[c] = Gradients.Of([residual], [y], [v], retainGraph: true, createGraph: createGraph)[0];
            products?.Invoke();
        }
        var blocks = tensor(block);
        var sameBlock = blocks.unsqueeze(1).eq(blocks.unsqueeze(0)).to(y.dtype);
        return stack(rows).index_select(0, colorIndex) * sameBlock;
    }

    /// The rank of each unknown within its block, and the size of the largest block.
    internal static (long[] Color, int Colors) Colors(long[] block)
    {
        var color = new long[block.Length];
        var seen = new Dictionary<long, int>();
        int colors = 0;
        for (int u = 0; u < block.Length; u++)
        {
            int c = seen.GetValueOrDefault(block[u]);
            color[u] = c;
            seen[block[u]] = c + 1;
            colors = Math.Max(colors, c + 1);
        }
        return (color, colors);
    }
}
