using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// The edges of a neighbour list grouped into undirected pairs (docs/benchmarks.md, "Backbone speed and memory"): the edge
/// s → r with lattice shift S and its reverse r → s with −S have opposite vectors (bit for bit: every term of
/// pos[r] − pos[s] + S·cell changes sign), hence the same length, radial features and radial-MLP outputs, and harmonics
/// Y_l(−r̂) = (−1)^l Y_l(r̂). Pair p stands for the direction with the smaller key (sender, receiver, S); an edge whose
/// reverse is missing (a one-sided, user-supplied edge list) is a pair of its own, and so are duplicates of one edge
/// grouped together, so the pairing is exact for any edge list. Built by one sort of the edges by their pair key.
internal sealed class EdgePairs : IDisposable
{
    /// Pairs are used only when they remove at least this share of the per-edge work (a full neighbour list removes half).
    const double MostPairsPerEdge = 0.75;

    private readonly Tensor _representative; // [P] an edge of every pair
    private readonly Tensor _representativeSign; // [P, 1] −1 where that edge points against the pair's direction, else 1
    private readonly Tensor _reversed; // [E, 1] bool: the edge points against its pair's direction

    private EdgePairs(Tensor pairOf, Tensor representative, Tensor representativeSign, Tensor reversed)
    {
        PairOf = pairOf;
        _representative = representative;
        _representativeSign = representativeSign;
        _reversed = reversed;
    }

    /// Pair of every edge [E] (long).
    public Tensor PairOf { get; }

    /// Number of pairs.
    public long Count => _representative.shape[0];

    /// The pairs of an edge list, or null when pairing would not halve enough of the work (fewer than a quarter of the
    /// edges have a partner), when there are no edges, when a shift is not an integer, or when the pair keys would not fit
    /// in 64 bits.
    /// <param name="sender">[E] (long)</param>
    /// <param name="receiver">[E] (long)</param>
    /// <param name="unitShifts">[E, 3] integer lattice shifts (any dtype)</param>
    /// <param name="numNodes">number of nodes</param>
    /// <param name="dtype">floating-point type of the vectors the pairs will be applied to</param>
    public static EdgePairs? Of(Tensor sender, Tensor receiver, Tensor unitShifts, long numNodes, ScalarType dtype)
    {
        long edges = sender.shape[0];
        if (edges == 0) return null;
        using var scope = NewDisposeScope();
        // Keys need integer shifts; any other shift (not from a neighbour list) leaves every edge on its own.
        if (unitShifts.is_floating_point() && !unitShifts.eq(unitShifts.round()).all().item<bool>()) return null;
        var shifts = unitShifts.round().to_type(ScalarType.Int64);
        long largest = shifts.abs().max().item<long>(), width = 2 * largest + 1;
        if ((double)numNodes * numNodes * width * width * width >= 4e18) return null;
        var digits = torch.tensor(new[] { width * width, width, 1L }, device: sender.device);
        // Arithmetic with numbers through HeldScalars (docs/design.md, "Tensor lifetimes").
        var forward = sender.Times(numNodes).Plus(receiver).Times(width * width * width).Plus((shifts.Plus(largest) * digits).sum(1));
        var backward = receiver.Times(numNodes).Plus(sender).Times(width * width * width).Plus((shifts.neg().Plus(largest) * digits).sum(1));
        var reversed = forward > backward;
        var (keys, order) = torch.minimum(forward, backward).sort();
        var first = torch.ones(edges, dtype: ScalarType.Bool, device: sender.device);
        if (edges > 1) first[TensorIndex.Slice(1)] = keys[TensorIndex.Slice(1)] != keys[TensorIndex.Slice(null, -1)];
        var pairOfSorted = first.to_type(ScalarType.Int64).cumsum(0).Plus(-1);
        long count = pairOfSorted[-1].item<long>() + 1;
        if (count > MostPairsPerEdge * edges) return null;
        var pairOf = torch.empty(edges, dtype: ScalarType.Int64, device: sender.device).index_copy_(0, order, pairOfSorted);
        var representative = order.masked_select(first);
        var representativeSign = reversed.index_select(0, representative).to_type(dtype).unsqueeze(1).Times(-2).Plus(1);
        return new EdgePairs(pairOf.MoveToOuterDisposeScope(), representative.MoveToOuterDisposeScope(),
            representativeSign.MoveToOuterDisposeScope(), reversed.unsqueeze(1).MoveToOuterDisposeScope());
    }

    /// The vector of every pair in the pair's direction [P, 3] from the edge vectors [E, 3] (differentiable).
    public Tensor PairVectors(Tensor edgeVectors) => edgeVectors.index_select(0, _representative) * _representativeSign;

    /// Per-pair values [P, ...] → the same values on every edge [E, ...] (lengths, radial features, MLP outputs).
    public Tensor Expand(Tensor pairValues) => pairValues.index_select(0, PairOf);

    /// Per-pair harmonics [P, (lmax+1)²] of the pairs' vectors → the harmonics of every edge's vector [E, (lmax+1)²]:
    /// Y_l(−r̂) = (−1)^l Y_l(r̂) on the reversed edges.
    public Tensor ExpandHarmonics(Tensor pairHarmonics, int lmax)
    {
        using var scope = NewDisposeScope();
        var parity = Enumerable.Range(0, lmax + 1).SelectMany(l => Enumerable.Repeat(l % 2 == 0 ? 1.0 : -1.0, 2 * l + 1)).ToArray();
        var signs = torch.tensor(parity, dtype: pairHarmonics.dtype, device: pairHarmonics.device);
        var factor = torch.where(_reversed, signs, torch.ones_like(signs));
        return (Expand(pairHarmonics) * factor).MoveToOuterDisposeScope();
    }

    public void Dispose()
    {
        PairOf.Dispose();
        _representative.Dispose();
        _representativeSign.Dispose();
        _reversed.Dispose();
    }
}
