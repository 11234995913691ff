using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// The edges of a graph regrouped by receiver into tiles of <see cref="Size"/> rows
/// (docs/benchmarks.md, "Backbone speed and memory"): the edges of receiver r fill ⌈n_r / Size⌉ consecutive tiles, the
/// unused rows of its last tile are padding. Per-edge values are laid out in this order (<see cref="Pad"/>: padding rows
/// zero), so a sum over the edges of one receiver is a sum over whole tiles: a batched matrix product per tile and a
/// scatter of one row per tile.
internal sealed class EdgeTiles : IDisposable
{
    /// Rows per tile: small enough that padding adds ~(Size/2)/neighbours rows (8 % at 50 neighbours), large enough
    /// that the per-tile products are real matrix products and the scatter touches 1/Size of the rows.
    public const int Size = 8;

    private readonly Tensor _slots;

    private EdgeTiles(Tensor slots, Tensor receivers, long rows)
    {
        _slots = slots;
        Receivers = receivers;
        Rows = rows;
    }

    /// Receiver of every tile [tiles] (long).
    public Tensor Receivers { get; }

    /// Padded rows: tiles × <see cref="Size"/>.
    public long Rows { get; }

    /// <param name="receiver">[E] (long) receiver of every edge</param>
    /// <param name="numNodes">number of nodes</param>
    public static EdgeTiles Build(Tensor receiver, long numNodes)
    {
        using var scope = NewDisposeScope();
        long edges = receiver.shape[0];
        var counts = torch.bincount(receiver, minlength: numNodes);
        using Scalar size = Size.ToScalar(), zero = 0L.ToScalar(), edgeCount = edges.ToScalar(), nodeCount = numNodes.ToScalar();
        var tilesPer = counts.Plus(Size - 1).floor_divide(size);
        var firstTile = tilesPer.cumsum(0) - tilesPer;
        var firstEdge = counts.cumsum(0) - counts;
        var order = receiver.argsort();
        var sorted = receiver.index_select(0, order);
        var rank = torch.arange(zero, edgeCount, HeldScalars.One, dtype: ScalarType.Int64, device: receiver.device) - firstEdge.index_select(0, sorted);
        var slotOfSorted = firstTile.index_select(0, sorted).Times(Size).Plus(rank);
        var slots = torch.empty(edges, dtype: ScalarType.Int64, device: receiver.device).index_copy_(0, order, slotOfSorted);
        long tiles = edges == 0 ? 0 : tilesPer.sum().item<long>();
        var receivers = torch.arange(zero, nodeCount, HeldScalars.One, dtype: ScalarType.Int64, device: receiver.device).repeat_interleave(tilesPer, output_size: tiles);
        return new EdgeTiles(slots.MoveToOuterDisposeScope(), receivers.MoveToOuterDisposeScope(), tiles * Size);
    }

    /// Per-edge values [E, ...] → [Rows, ...] in tile order, padding rows zero (differentiable).
    public Tensor Pad(Tensor edgeValues)
    {
        var shape = edgeValues.shape.ToArray();
        shape[0] = Rows;
        return torch.zeros(shape, dtype: edgeValues.dtype, device: edgeValues.device).index_copy(0, _slots, edgeValues);
    }

    /// Row indices of the edges [E] (long) → the same indices in tile order [Rows]; padding rows take row 0 (their edge
    /// attributes are zero, so what they gather does not contribute).
    public Tensor RowsOf(Tensor edgeRows) =>
        torch.zeros(Rows, dtype: ScalarType.Int64, device: edgeRows.device).index_copy(0, _slots, edgeRows);

    public void Dispose()
    {
        _slots.Dispose();
        Receivers.Dispose();
    }
}
