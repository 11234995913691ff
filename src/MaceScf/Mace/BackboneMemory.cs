using MaceScf.Equivariant;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// The memory of the backbone's autograd graph (energy with forces, stress or training), estimated from the graph's size before
/// anything is allocated, and the automatic chunks it decides
/// (docs/benchmarks.md, "The trained water model from 480 to 10,080 atoms"): a backbone whose whole evaluation would keep more than <see cref="MaceModel.AutomaticChunkBytes"/> on its graph,
/// or hold more at once without a graph, runs its symmetric contractions in node blocks and, when their part alone is above the
/// budget too, its convolutions in blocks of <see cref="MaceModel.AutomaticEdgeChunk"/> edges (<see cref="MaceModel.EdgeChunkSize"/>:
/// the same results up to the order of the additions; the backward passes recompute every block, which costs time where the graph
/// is small: 2.32 → 3.04 ms per atom at 480 atoms, hence the budget).
internal static class BackboneMemory
{
    /// Estimated graph size above which the backbone is chunked without being asked.
    public const double DefaultAutomaticChunkBytes = 2e9;

    /// Edges per block of the automatic chunks (the size every whole-model measurement used).
    public const int DefaultAutomaticEdgeChunk = 20_000;

    /// Bytes per estimated graph number and byte of the number itself: the intermediates and gradients of the backward pass, fitted
    /// to the peak memory of the trained water model (float64) with and without chunks (docs/benchmarks.md).
    public const double Overhead = 1.3;

    /// Bytes per estimated graph number of a backbone computing in <paramref name="dtype"/> (its interactions and contractions).
    public static double BytesPerNumber(ScalarType dtype) => Overhead * dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float64 => 8,
        _ => throw new ArgumentException($"no graph estimate for a backbone computing in {dtype}", nameof(dtype)),
    };

    /// Bytes the unchunked backbone keeps on its autograd graph for <paramref name="nodes"/> atoms and <paramref name="edges"/> edges:
    /// per node and layer every monomial of the symmetric contraction, per edge and layer the tensor product's weights and message,
    /// each a number of the backbone's compute dtype.
    public static double GraphBytes(MaceModel model, long nodes, long edges) =>
        BytesPerNumber(model.ComputeDtype) * (nodes * (double)model.Products.Sum(p => p.GraphNumbersPerNode)
                                              + edges * (double)model.Interactions.Sum(i => i.GraphNumbersPerEdge));

    /// Bytes the largest layer of an unchunked evaluation without a graph holds at once: the layers run one after the other and
    /// free their per-edge weights and messages and per-node monomials, so one layer's numbers of <see cref="GraphBytes"/>.
    public static double LayerBytes(MaceModel model, long nodes, long edges) =>
        Enumerable.Range(0, model.Interactions.Count).Max(t => BytesPerNumber(model.ComputeDtype)
            * (nodes * (double)model.Products[t].GraphNumbersPerNode + edges * (double)model.Interactions[t].GraphNumbersPerEdge));

    /// Bytes the convolutions keep when the symmetric contractions run in node blocks: per tiled edge row (on average half a tile of
    /// padding per receiver) and layer what <see cref="ChannelwiseTensorProduct.ConvolveTiles"/> keeps for its backward pass
    /// (<see cref="InteractionBlock.ConvolutionNumbersPerRow"/>); with a graph (<paramref name="keepsGraph"/>) every layer's, without one
    /// the largest layer's.
    public static double ConvolutionBytes(MaceModel model, long nodes, long edges, bool keepsGraph)
    {
        double rows = edges + nodes * (EdgeTiles.Size - 1) / 2.0;
        var layers = model.Interactions.Select(i => BytesPerNumber(model.ComputeDtype) * rows * i.ConvolutionNumbersPerRow);
        return keepsGraph ? layers.Sum() : layers.Max();
    }

    /// The chunks for an evaluation of this size (<see cref="MaceModel.EdgeChunkSize"/> not set): none when it fits the model's budget,
    /// with a graph kept for gradients (<paramref name="keepsGraph"/>) by <see cref="GraphBytes"/>, without one (energies, the
    /// per-geometry state of an SCF without forces) by <see cref="LayerBytes"/>. Above the budget the symmetric contractions run in
    /// node blocks, and the convolutions in blocks of <see cref="MaceModel.AutomaticEdgeChunk"/> edges only when their own part
    /// (<see cref="ConvolutionBytes"/>) is above it too, or when the model says so (<see cref="MaceModel.ContractionsFirst"/>): recomputing a contraction costs a few per cent
    /// of an energy + forces, recomputing the convolutions and their radial MLPs (per edge, not per pair) half of it
    /// (docs/benchmarks.md, "Automatic chunks: the contractions first").
    public static BackboneChunks AutomaticChunks(MaceModel model, long nodes, long edges, bool keepsGraph = true)
    {
        if ((keepsGraph ? GraphBytes(model, nodes, edges) : LayerBytes(model, nodes, edges)) <= model.AutomaticChunkBytes) return default;
        int? nodeChunk = model.NodeChunk(model.AutomaticEdgeChunk);
        return model.ContractionsFirst && nodeChunk is not null && ConvolutionBytes(model, nodes, edges, keepsGraph) <= model.AutomaticChunkBytes
            ? new BackboneChunks(null, nodeChunk)
            : new BackboneChunks(model.AutomaticEdgeChunk, nodeChunk);
    }
}

/// Blocks of an evaluation of the backbone: most edges per block of the convolutions and most nodes per block of the symmetric
/// contractions (null: whole).
internal readonly record struct BackboneChunks(int? Edges, int? Nodes);
