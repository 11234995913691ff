using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The matrix-free Jacobian of the implicit solve for a one-body update, without differentiating the update map
/// (docs/fixed-point.md, "The affine one-body update"). With A = ∂Δρ/∂V̂ per atom at the converged y ([N, K, F], the update's
/// affine-form matrix, or K products of the update alone) and T the geometry's parameter-free linear map y ↦ V̂ (see
/// <see cref="OneBodyJacobian"/>), J = [[I 0] − A·T; C] with C the constant charge rows, so
///   J u  = [u_ρ − A (T u); C u]: one field evaluation without autograd and one batched matrix–vector product, as an SCF step;
///   Jᵀ v = [v_ρ; 0] − Tᵀ (Aᵀ v_ρ) + Cᵀ v_μ: one backward pass through a field evaluation recorded once (T is linear, so one graph
///          serves every product), on the detached twin of a particle-mesh plan (<see cref="FixedPointGeometry.ForProducts"/>), where the
///          mesh's part of that backward pass is its explicit transpose (<see cref="Electrostatics.MeshProduct"/>).
/// Neither product goes through the update's blocks, the backbone or the positions. In fully periodic cells both solves are
/// preconditioned on the long-wavelength charge waves (<see cref="LongWavelengthPreconditioner"/>).
internal static class OneBodyOperator
{
    /// The operator at the converged <paramref name="reference"/> = [ρ (N·K), μ (one per group of <paramref name="regions"/>)].
    /// <param name="geometry">the map F at this geometry, whose update is one-body</param>
    /// <param name="reference">the converged unknowns</param>
    /// <param name="n">N, the atoms</param>
    /// <param name="k">K, the density components per atom</param>
    /// <param name="fermiLevel">[G] the fixed μ when <paramref name="regions"/> is null</param>
    /// <param name="regions">the groups whose μ are unknowns, or null at constant Fermi level</param>
    /// <param name="krylov">counts the products and records the residuals and the preconditioner's modes, or null</param>
    public static LinearOperator At(FixedPointGeometry geometry, Tensor reference, long n, long k, Tensor fermiLevel, FermiRegions? regions,
        KrylovReport? krylov)
    {
        var rho = reference.narrow(0, 0, n * k).view(n, k);
        var mu = regions is null ? fermiLevel.index_select(0, geometry.Batch) : regions.OfAtoms(reference.narrow(0, n * k, regions.Count));
        var response = geometry.UpdateResponse(rho, mu);
        var transposeResponse = response.transpose(1, 2).contiguous();
        long f = response.shape[2];
        // Left to the caller's dispose scope, which holds the graph whose backward pass applies it (docs/design.md, "Tensor lifetimes").
        var preconditioner = geometry.UsePreconditioner ? LongWavelengthPreconditioner.For(geometry, response, n, k, reference.shape[0], regions) : null;
        krylov?.RecordPreconditioner(preconditioner?.Modes ?? 0);
        // Tᵀ and Cᵀ: one recorded evaluation of the linear rows [T x; C x], differentiated at every product.
        var x = zeros_like(reference).requires_grad_(true);
        Tensor features, charges;
        using (enable_grad())
        {
            features = OneBodyJacobian.LinearFeatures(geometry.ForProducts() ?? geometry, x, n, k, regions);
            charges = regions is null ? zeros(0, dtype: x.dtype, device: x.device) : OneBodyJacobian.ChargeRows(x, n, k, regions);
        }
        return new LinearOperator(
            u =>
            {
                krylov?.CountForward();
                using var noGrad = no_grad();
                var coupled = response.bmm(OneBodyJacobian.LinearFeatures(geometry, u, n, k, regions).view(n, f, 1)).view(n * k);
                var rows = u.narrow(0, 0, n * k) - coupled;
                return regions is null ? rows : cat([rows, OneBodyJacobian.ChargeRows(u, n, k, regions)]);
            },
            v =>
            {
                krylov?.CountAdjoint();
                var byFeatures = -transposeResponse.bmm(v.narrow(0, 0, n * k).view(n, k, 1)).view(n, f);
                var transposed = regions is null
                    ? Gradients.Of([features], [x], [byFeatures], retainGraph: true)[0]
                    : Gradients.Of([features, charges], [x], [byFeatures, v.narrow(0, n * k, regions.Count)], retainGraph: true)[0];
                using var noGrad = no_grad();
                return transposed.Plus(regions is null ? v : cat([v.narrow(0, 0, n * k), zeros(regions.Count, dtype: v.dtype, device: v.device)]));
            },
            (int)Math.Min(reference.shape[0], LinearizedSolution.KrylovIterations), LinearizedSolution.KrylovTolerance, krylov,
            reference.norm().Value(), LinearizedSolution.AdjointTolerance, preconditioner);
    }
}
