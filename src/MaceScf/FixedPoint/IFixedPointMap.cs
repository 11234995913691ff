using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// One application of the update rule: Δp [N, K] and the normalised features V̂ [N, F] it was computed from.
internal sealed record ScfStep(Tensor Update, Tensor Features);

/// The fixed-point map at a fixed geometry, F(p, μ) = p_local + U(V̂(p, μ)) (docs/math.md, "The fixed-point map"). Everything per geometry (backbone,
/// p_local, electrostatics plan) is already computed, so a step costs one update rule and one field evaluation.
internal interface IFixedPointMap
{
    /// p_local [N, K].
    Tensor LocalDensity { get; }

    /// [N] structure index of every atom.
    Tensor Batch { get; }

    int NumGraphs { get; }

    /// Δp and V̂ for the input density <paramref name="density"/> [N, K] and the per-atom Fermi level
    /// <paramref name="fermiLevel"/> [N] (V, absolute; the map subtracts its offset).
    ScfStep Step(Tensor density, Tensor fermiLevel);

    /// V̂ of a density at a Fermi level, without the update.
    Tensor Features(Tensor density, Tensor fermiLevel);

    /// Δp at (p, μ) [N, K] and the charge response g_i = ∂(Σ_j Δp_j0)/∂μ_i [N] (<paramref name="fermiLevel"/> per atom), on the
    /// graph when <paramref name="createGraph"/>. This default differentiates a whole <see cref="Step"/> with respect to μ.
    (Tensor Update, Tensor Response) ChargeResponse(Tensor density, Tensor fermiLevel, bool createGraph)
    {
        var mu = fermiLevel.requires_grad ? fermiLevel : fermiLevel.detach().requires_grad_(true);
        var update = Step(density, mu).Update;
        var g = Gradients.Of([update[.., 0].sum()], [mu], retainGraph: true, createGraph: createGraph, allowUnused: true)[0];
        return (update, g ?? torch.zeros_like(mu));
    }

    /// True when ∂Δp/∂μ depends on neither the density nor μ (an update affine in V̂): the constant-charge SCF then computes its
    /// Fukui weights once per geometry instead of differentiating every update.
    bool ChargeResponseIsConstant => false;

    /// A preconditioner of the Anderson mixer's residual f = F(p) − p, f ↦ P f [N, K]: an approximate inverse of J = I − ∂F/∂p on the
    /// modes that linear mixing amplifies, built once at (p, μ) for a graph-free SCF (<paramref name="fermiLevel"/> per structure, or
    /// per group of <paramref name="regions"/>); null: none. The caller owns it and disposes it after the SCF.
    LongWavelengthPreconditioner? MixingPreconditioner(Tensor density, Tensor fermiLevel, FermiRegions? regions) => null;
}
