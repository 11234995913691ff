using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The converged SCF solution made differentiable (docs/math.md, "Implicit differentiation"). Unknowns y = [ρ (N·K), μ (one per held group
/// of <see cref="FermiRegions"/>: per structure at constant charge, per region with electrodes)], residual R(y) = [ρ − F(ρ, μ), Q(ρ) − Q_target]. From the converged y_ref (a constant) one Newton step
/// y* = y_ref − J⁻¹ R(y_ref), J = ∂R/∂y (dense, D × D, block-diagonal over the frames; for a one-body update from the per-atom
/// response and the geometry's constant transfer matrix, <see cref="OneBodyJacobian"/>, otherwise from vector–Jacobian products
/// of the whole update map, one per unknown of the largest frame, <see cref="BlockJacobian"/>; matrix-free above the dense limit,
/// by GMRES with graph-free products for a one-body update, <see cref="OneBodyOperator"/>, otherwise with products of the map).
/// Its value is y_ref (R ≈ 0), its derivative with respect to parameters and positions is the implicit-function-theorem one,
/// dy*/dθ = −J⁻¹ ∂R/∂θ.
/// * linearize_solve keeps J on the graph (the linearised problem is solved as a function of θ);
/// * implicit detaches J, so the backward pass solves exactly the adjoint system Jᵀ w = ∂L/∂y. A force loss differentiates
///   dy*/dr = −J⁻¹ ∂R/∂r once more, which needs ∂J/∂θ: with force training implicit keeps J on the graph too.
/// Both agree at a converged SCF because the term of ∂J/∂θ in dy*/dθ is multiplied by J⁻¹R(y_ref) = 0.
internal static class LinearizedSolution
{
    /// Largest residual max|ρ − F(ρ)| (or charge error) of the solved density; above it training and forces fall back to an unroll.
    public const double DensityResidualLimit = 1e-5;
    public const double ChargeResidualLimit = 1e-4;

    /// Training: unknowns above which J is not built densely: GMRES with Jacobian–vector products instead (J then held fixed).
    /// Forces at inference are always matrix-free (<see cref="Models.PredictionRequest.DenseJacobianLimit"/>).
    public const int DenseLimit = 600;

    public const int KrylovIterations = 300;
    public const double KrylovTolerance = 1e-12;

    /// Relative residual at which the adjoint GMRES of forces stops: the forces of the trained water model at 480 atoms moved by
    /// 1e−12 eV/Å against the solve to <see cref="KrylovTolerance"/> (19 → 15 products; 1e−9 moved them by 3e−11), docs/benchmarks.md,
    /// "Implicit product counts".
    public const double AdjointTolerance = 1e-10;

    /// Largest relative GMRES residual (forward or adjoint solve) that forces accept; <see cref="KrylovTolerance"/> and <see cref="AdjointTolerance"/> are the targets.
    public const double KrylovResidualLimit = 1e-8;

    /// (ρ*, μ*) from the converged (ρ_ref, μ_ref), or null when the solve is poor (residual above the limits or not finite).
    /// <param name="geometry">the map F at this geometry</param>
    /// <param name="density">ρ_ref [N, K], the converged density</param>
    /// <param name="fermiLevel">[G] the fixed μ without <paramref name="regions"/>; with them, [G·S] the groups' μ</param>
    /// <param name="regions">the groups whose μ are unknowns (constant charge: one held group per structure; electrodes: the
    /// electrolyte held, the electrodes at fixed μ), or null at constant Fermi level (μ is fixed and not an unknown)</param>
    /// <param name="differentiableJacobian">keep J on the graph (linearize_solve, or implicit with force training)</param>
    /// <param name="denseLimit">unknowns above which J is not built but applied by products (GMRES)</param>
    /// <param name="krylov">records the residuals of the matrix-free solves, including the adjoint solve of a later backward
    /// pass (which cannot refuse its result), so the caller can check them</param>
    /// <param name="mapProducts">take J (dense) or its products (matrix-free) from the whole map even for a one-body update (the
    /// reference that <see cref="OneBodyJacobian"/> and <see cref="OneBodyOperator"/> are checked against)</param>
    public static (Tensor Density, Tensor FermiLevel)? Solve(FixedPointGeometry geometry, Tensor density, Tensor fermiLevel, FermiRegions? regions,
        bool differentiableJacobian, int denseLimit = DenseLimit, KrylovReport? krylov = null, bool mapProducts = false)
    {
        long n = density.shape[0], k = density.shape[1];
        var reference = regions is not null ? cat([density.detach().flatten(), fermiLevel.detach()]) : density.detach().flatten();
        long d = reference.shape[0];
        Tensor step;
        if (d > denseLimit && geometry.UpdateIsOneBody && !mapProducts)
        {
            // Graph-free products: the residual is differentiated once, by the backward pass, with the adjoint solution.
            var residual = Residual(geometry, reference, n, k, fermiLevel.detach(), regions, affineForm: false);
            step = KrylovSolve.apply(residual, OneBodyOperator.At(geometry, reference, n, k, fermiLevel.detach(), regions, krylov));
        }
        else
        {
            var y = reference.clone().requires_grad_(true);
            var residual = Residual(geometry, y, n, k, fermiLevel.detach(), regions);
            step = d > denseLimit ? MatrixFree(residual, ProductResidual(geometry, residual, y, n, k, fermiLevel.detach(), regions), krylov)
                : DenseStep(geometry, residual, y, n, k, fermiLevel.detach(), regions, differentiableJacobian, mapProducts);
        }
        var solution = reference - step;
        var rho = solution.narrow(0, 0, n * k).view(n, k);
        var mu = regions is not null ? solution.narrow(0, n * k, regions.Count) : fermiLevel.detach();
        return Acceptable(geometry, rho, mu, regions) ? (rho, mu) : null;
    }

    /// J⁻¹R with the dense Jacobian: per atom for a one-body update (unless <paramref name="mapProducts"/>), otherwise from
    /// products of the whole map.
    internal static Tensor DenseStep(FixedPointGeometry geometry, Tensor residual, Tensor y, long n, long k, Tensor fermiLevel, FermiRegions? regions,
        bool differentiableJacobian, bool mapProducts)
    {
        var blocks = Blocks(geometry, k, regions);
        if (geometry.UpdateIsOneBody && !mapProducts)
            return OneBodyJacobian.Step(geometry, residual, y, n, k, fermiLevel, regions, blocks, differentiableJacobian);
        var jacobian = BlockJacobian.Of(residual, y, blocks, differentiableJacobian);
        if (!differentiableJacobian) jacobian = jacobian.detach();
        return linalg.solve(jacobian, residual.unsqueeze(1)).squeeze(1);
    }

    /// The frame of each unknown of y = [ρ (N·K, atom-major), μ (one per group, with regions)]: frames do not interact, so J is
    /// block-diagonal over them.
    internal static long[] Blocks(FixedPointGeometry geometry, long k, FermiRegions? regions)
    {
        var atoms = geometry.Batch.cpu().data<long>().ToArray();
        var density = atoms.SelectMany(g => Enumerable.Repeat(g, (int)k));
        return (regions is not null ? density.Concat(Enumerable.Range(0, regions.Count).Select(m => (long)(m / regions.Slots))) : density).ToArray();
    }

    /// The residual the products differentiate, with its unknowns: on <see cref="FixedPointGeometry.ForProducts"/> when there is
    /// one (the same values and Jacobian, without the PME's position gradients in every product), otherwise the residual itself.
    static (Tensor Residual, Tensor Unknowns) ProductResidual(FixedPointGeometry geometry, Tensor residual, Tensor y, long n, long k, Tensor fermiLevel,
        FermiRegions? regions)
    {
        if (geometry.ForProducts() is not { } twin) return (residual, y);
        var unknowns = y.detach().clone().requires_grad_(true);
        return (Residual(twin, unknowns, n, k, fermiLevel, regions), unknowns);
    }

    /// J⁻¹R by GMRES: J u by differentiating the (linear in w) product wᵀJ once more, Jᵀ v directly; J is held fixed. The
    /// products are those of <paramref name="products"/> (the same J as <paramref name="residual"/>'s).
    static Tensor MatrixFree(Tensor residual, (Tensor Residual, Tensor Unknowns) products, KrylovReport? krylov)
    {
        var (productResidual, y) = products;
        var w = zeros_like(productResidual).requires_grad_(true);
        var wJ = Gradients.Of([productResidual], [y], [w], retainGraph: true, createGraph: true)[0];
        var op = new LinearOperator(
            u =>
            {
                krylov?.CountForward();
                return Gradients.Of([wJ], [w], [u], retainGraph: true)[0].detach();
            },
            v =>
            {
                krylov?.CountAdjoint();
                return Gradients.Of([productResidual], [y], [v], retainGraph: true)[0].detach();
            },
            (int)Math.Min(y.shape[0], KrylovIterations), KrylovTolerance, krylov, y.detach().norm().Value(), AdjointTolerance);
        return KrylovSolve.apply(residual, op);
    }

    /// R(y) = [ρ − ρ_loc − Δρ(ρ, μ), per group: Q_m(ρ) − Q_target,m (held) or μ_m − μ_fixed,m (not held)] flattened; without
    /// regions, R = ρ − ρ_loc − Δρ(ρ, μ) at the fixed μ <paramref name="fermiLevel"/> [G].
    /// <param name="geometry">the map F at this geometry</param>
    /// <param name="y">the unknowns [ρ (N·K), μ (one per group, with regions)]</param>
    /// <param name="n">N, the atoms</param>
    /// <param name="k">K, the density components per atom</param>
    /// <param name="fermiLevel">[G] the fixed μ without <paramref name="regions"/></param>
    /// <param name="regions">the groups whose μ are unknowns, or null at constant Fermi level</param>
    /// <param name="affineForm">Δρ through the update's per-atom affine form built on the graph (cheaper backward passes for a residual
    /// that many products differentiate), otherwise through the update's blocks (one backward pass)</param>
    internal static Tensor Residual(FixedPointGeometry geometry, Tensor y, long n, long k, Tensor fermiLevel, FermiRegions? regions, bool affineForm = true)
    {
        var rho = y.narrow(0, 0, n * k).view(n, k);
        var mu = regions is null ? fermiLevel : y.narrow(0, n * k, regions.Count);
        var atomMu = regions is null ? mu.index_select(0, geometry.Batch) : regions.OfAtoms(mu);
        var update = affineForm ? geometry.LinearizedUpdate(rho, atomMu) : geometry.Update(geometry.Features(rho, atomMu));
        var r = (rho - geometry.LocalDensity - update).flatten();
        return regions is null ? r : cat([r, torch.where(regions.Held, regions.Sum(rho.select(1, 0)) - regions.Target, mu - regions.FixedFermiLevel)]);
    }

    /// The acceptance check of docs/math.md, "Implicit differentiation", without gradients.
    static bool Acceptable(FixedPointGeometry geometry, Tensor rho, Tensor mu, FermiRegions? regions)
    {
        using var noGrad = no_grad();
        var check = rho.detach();
        var atomMu = regions is null ? mu.detach().index_select(0, geometry.Batch) : regions.OfAtoms(mu.detach());
        double density = (check - geometry.Map(check, atomMu)).abs().max().Value();
        double charge = regions is null ? 0
            : torch.where(regions.Held, regions.Sum(check.select(1, 0)) - regions.Target, zeros_like(regions.Target)).abs().max().Value();
        return double.IsFinite(density) && double.IsFinite(charge) && density <= DensityResidualLimit && charge <= ChargeResidualLimit;
    }
}
