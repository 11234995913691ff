using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Data;

/// Per-structure sums of per-atom values in a batch.
internal static class GraphSum
{
    /// Σ over each structure's atoms: [N, …] → [G, …].
    /// <param name="nodeValues">[N, …] one value per atom</param>
    /// <param name="batch">[N] structure index of every atom (long)</param>
    /// <param name="numGraphs">G, the number of structures</param>
    public static Tensor Of(Tensor nodeValues, Tensor batch, int numGraphs)
    {
        using var one = 1.0.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        return zeros([numGraphs, .. nodeValues.shape.Skip(1)], dtype: nodeValues.dtype, device: nodeValues.device).index_add(0, batch, nodeValues, one);
    }
}
