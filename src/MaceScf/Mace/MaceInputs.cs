using MaceScf.Data;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// <summary>The tensors a MACE forward pass reads.</summary>
/// <param name="Positions">[N, 3] Cartesian positions (Å)</param>
/// <param name="Species">[N] element index into the model's atomic numbers (long)</param>
/// <param name="EdgeIndex">[2, E] (long): row 0 sender (neighbour), row 1 receiver (centre)</param>
/// <param name="UnitShifts">[E, 3] integer lattice shifts S; edge vector = pos[receiver] − pos[sender] + S·cell</param>
/// <param name="Cell">[G, 3, 3] lattice vectors as rows</param>
/// <param name="Batch">[N] graph index of every node (long)</param>
/// <param name="NumGraphs">G</param>
public sealed record MaceInputs(Tensor Positions, Tensor Species, Tensor EdgeIndex, Tensor UnitShifts, Tensor Cell, Tensor Batch, int NumGraphs)
{
    /// The inputs of a collated batch (tensors are shared, not copied).
    internal static MaceInputs FromBatch(GraphBatch batch) =>
        new(batch.Positions, batch.Species, batch.EdgeIndex, batch.UnitShifts, batch.Cell, batch.Batch, batch.GraphCount);

    /// <summary>The same graph with other positions and cell (e.g. strained ones).</summary>
    public MaceInputs WithGeometry(Tensor positions, Tensor cell) => this with { Positions = positions, Cell = cell };
}
