using static TorchSharp.torch;

namespace MaceScf.Mace;

/// <summary>What a MACE forward pass returns.</summary>
/// <param name="NodeFeatures">per layer t, the product-block output h^t [N, irreps_t.Dim] (mul_ir)</param>
/// <param name="NodeEnergies">per layer t, the readout site energies [N]</param>
/// <param name="NodeE0">[N] reference energy of every node's element</param>
/// <param name="NodeEnergy">[N] E0 + Σ_t readout_t</param>
/// <param name="InteractionEnergy">[G] Σ over the graph's nodes of Σ_t readout_t</param>
/// <param name="Energy">[G] total energy E0 + interaction energy</param>
/// <param name="EdgeAttributes">[E, (max_ell+1)²] spherical harmonics of the edge vectors</param>
/// <param name="EdgeFeatures">[E, num_bessel] radial features (Bessel × cutoff)</param>
/// <param name="EdgeVectors">[E, 3] pos[receiver] − pos[sender] + shift</param>
public sealed record MaceOutput(
    IReadOnlyList<Tensor> NodeFeatures,
    IReadOnlyList<Tensor> NodeEnergies,
    Tensor NodeE0,
    Tensor NodeEnergy,
    Tensor InteractionEnergy,
    Tensor Energy,
    Tensor EdgeAttributes,
    Tensor EdgeFeatures,
    Tensor EdgeVectors)
{
    /// [P, num_bessel] the radial features once per undirected pair of edges (<see cref="EdgePairs"/>), or null when the
    /// forward pass ran per edge.
    internal Tensor? PairFeatures { get; init; }

    /// [E] (long) the pair of every edge (the row of <see cref="PairFeatures"/>), or null.
    internal Tensor? EdgePair { get; init; }
}
