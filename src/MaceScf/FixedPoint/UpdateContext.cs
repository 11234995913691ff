using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The per-geometry tensors the update rules and readouts read (docs/math.md, "The fixed-point map"), computed once before the SCF loop.
/// <param name="NodeAttrs">[N, Z] one-hot elements</param>
/// <param name="HMix">[N, hidden.Dim] Σ_t Linear_t(h^(t)) (feature mixer)</param>
/// <param name="HLast">[N, hidden.Dim] h^(T)</param>
/// <param name="EdgeAttrs">[E, 9] edge harmonics up to l = 2 (or fewer when max_ell &lt; 2)</param>
/// <param name="EdgeFeats">[E, num_bessel] radial features, or [P, num_bessel] once per undirected pair of edges</param>
/// <param name="Sender">[E]</param><param name="Receiver">[E]</param>
/// <param name="EdgeRows">[E] (long) the row of <paramref name="EdgeFeats"/> of every edge (its pair, <see cref="Mace.EdgePairs"/>),
/// or null for one row per edge</param>
internal sealed record UpdateContext(Tensor NodeAttrs, Tensor HMix, Tensor HLast, Tensor EdgeAttrs, Tensor EdgeFeats, Tensor Sender,
    Tensor Receiver, Tensor? EdgeRows = null)
{
    public long NumNodes => NodeAttrs.shape[0];
}
