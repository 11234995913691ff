using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The quantity behind the fixedpoint_scf_stability loss: per structure g, the squared amplification
/// r_g = Σ_{i∈g} |vᵀ ∂F/∂p|_i² / Σ_{i∈g} |v_i|² of the fixed-point map at the final density, with v found by power
/// iteration v ← normalise_g(vᵀ J) from a fixed start. With a real dominant eigenvalue r_g → ρ(J_g)², the squared spectral
/// radius (it never exceeds σ_max(J_g)²); r_g > 1 means the linearised SCF iteration amplifies density errors.
/// Only the last product keeps its graph, so ∂r/∂θ flows through J at the fixed point.
internal static class ScfStability
{
    public const int PowerIterations = 20;

    /// [G] r_g at density p [N, K] and per-atom Fermi level μ [N].
    public static Tensor Ratio(FixedPointGeometry geometry, Tensor density, Tensor fermiLevel)
    {
        var p = density.detach();
        var mu = fermiLevel.detach();
        // A fixed, non-symmetric start so every run (and restart) sees the same estimate.
        var v = sin(HeldScalars.Range(p.numel(), p.dtype).Plus(1.0)).view_as(p);
        var input = p.clone().requires_grad_(true);
        var mapped = geometry.Map(input, mu);
        // The graph of F is shared with the backbone's, so every product retains it.
        for (int k = 0; k < PowerIterations; k++)
            v = Gradients.Of([mapped], [input], [Normalised(geometry, v)], retainGraph: true)[0].detach();
        v = Normalised(geometry, v).detach();
        var w = Gradients.Of([mapped], [input], [v], retainGraph: true, createGraph: true)[0];
        return ScfRunner.GraphSum(geometry, w.Squared().sum(1)) / ScfRunner.GraphSum(geometry, v.Squared().sum(1));
    }

    /// v with unit norm per structure.
    static Tensor Normalised(FixedPointGeometry geometry, Tensor v)
    {
        using var smallest = 1e-30.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var norm = ScfRunner.GraphSum(geometry, v.Squared().sum(1)).sqrt().clamp_min(smallest);
        return v / norm.index_select(0, geometry.Batch).unsqueeze(1);
    }

    /// [G] softplus_β(r_g − offset) (smooth, PyTorch's Softplus with threshold 20) or relu(r_g − offset); the loss is their mean.
    public static Tensor Penalty(Tensor ratio, bool smooth, double beta, double offset) => smooth
        ? ratio.Minus(offset).Softplus(beta, 20)
        : nn.functional.relu(ratio.Minus(offset));
}
