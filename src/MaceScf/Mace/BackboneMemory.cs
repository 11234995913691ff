namespace MaceScf.Mace;

/// The memory of the backbone's autograd graph (energy with forces, stress or training), estimated from the graph's size before
/// anything is allocated, and the automatic edge chunks it decides
/// (docs/benchmarks.md, "The trained water model from 480 to 10,080 atoms"): a backbone whose whole evaluation would keep more than <see cref="MaceModel.AutomaticChunkBytes"/> on its graph
/// is evaluated in blocks of <see cref="MaceModel.AutomaticEdgeChunk"/> edges and the matching node blocks (<see cref="MaceModel.EdgeChunkSize"/>:
/// the same results up to the order of the additions, and no slower at these sizes).
internal static class BackboneMemory
{
    /// Estimated graph size above which the backbone is chunked without being asked.
    public const double DefaultAutomaticChunkBytes = 2e9;

    /// Edges per block of the automatic chunks (the size every whole-model measurement used).
    public const int DefaultAutomaticEdgeChunk = 20_000;

    /// Bytes per estimated graph number: the float64 itself and the intermediates and gradients of the backward pass, fitted to
    /// the peak memory of the trained water model with and without chunks (docs/benchmarks.md).
    public const double BytesPerNumber = 8 * 1.3;

    /// Bytes the unchunked backbone keeps on its autograd graph for <paramref name="nodes"/> atoms and <paramref name="edges"/> edges:
    /// per node and layer every monomial of the symmetric contraction, per edge and layer the tensor product's weights and message.
    public static double GraphBytes(MaceModel model, long nodes, long edges) =>
        BytesPerNumber * (nodes * (double)model.Products.Sum(p => p.GraphNumbersPerNode)
                          + edges * (double)model.Interactions.Sum(i => i.GraphNumbersPerEdge));

    /// The edge chunk for a graph of this size kept for gradients, or null when the whole evaluation fits the model's budget.
    public static int? AutomaticChunk(MaceModel model, long nodes, long edges) =>
        GraphBytes(model, nodes, edges) > model.AutomaticChunkBytes ? model.AutomaticEdgeChunk : null;
}
