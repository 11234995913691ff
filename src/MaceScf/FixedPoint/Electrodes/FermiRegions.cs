using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The groups of atoms that each have their own Fermi level in the SCF
/// (docs/response.md, "Electrodes at a potential difference"). Every structure's atoms fall into <see cref="Slots"/> slots: slot 0 the electrolyte, slot r ≥ 1 electrode r
/// (without electrodes, one slot: the whole structure). Group m = g·S + s. A held group keeps its total charge at its target
/// by moving its μ (the constant-charge SCF with Fukui weights, per group); the others keep their given μ.
/// <param name="Index">[N] long, the group of every atom</param>
/// <param name="Slots">S, groups per structure</param>
/// <param name="Held">[G·S] bool, whether a group's charge is held</param>
/// <param name="Target">[G·S] the charge a held group is held at (e; ignored for the others)</param>
/// <param name="FixedFermiLevel">[G·S] the μ (V) of a group that is not held (ignored for the held ones)</param>
internal sealed record FermiRegions(Tensor Index, int Slots, Tensor Held, Tensor Target, Tensor FixedFermiLevel)
{
    /// G·S.
    public int Count => (int)Held.shape[0];

    public int NumGraphs => Count / Slots;

    /// Σ over each group's atoms: [N] → [G·S].
    public Tensor Sum(Tensor nodeValues) => Data.GraphSum.Of(nodeValues, Index, Count);

    /// The per-group values of every atom: [G·S] → [N].
    public Tensor OfAtoms(Tensor groupValues) => groupValues.index_select(0, Index);

    /// The largest of each structure's group values: [G·S] → [G].
    public Tensor MaxPerGraph(Tensor groupValues) => groupValues.view(-1, Slots).amax([1]);

    /// The smallest of each structure's group values: [G·S] → [G].
    public Tensor MinPerGraph(Tensor groupValues) => groupValues.view(-1, Slots).amin([1]);

    /// A per-structure flag for every group: [G] → [G·S].
    public Tensor OfGroups(Tensor graphValues) => Slots == 1 ? graphValues : graphValues.repeat_interleave(Slots);

    /// The electrolyte's value (slot 0) of each structure: [G·S] → [G].
    public Tensor Electrolyte(Tensor groupValues) => Slots == 1 ? groupValues : groupValues.view(-1, Slots).select(1, 0);

    /// [G·S] true for the electrode groups (slot ≥ 1).
    public Tensor IsElectrode
    {
        get
        {
            using var slots = Slots.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
            return HeldScalars.Range(Count, int64, Held.device).remainder(slots).NotEqualTo(0);
        }
    }

    /// One group per structure, all held at <paramref name="targetCharge"/> [G]: the constant-charge SCF.
    public static FermiRegions Whole(Tensor batch, Tensor targetCharge) =>
        new(batch, 1, ones(targetCharge.shape[0], dtype: ScalarType.Bool, device: targetCharge.device), targetCharge, zeros_like(targetCharge));
}
