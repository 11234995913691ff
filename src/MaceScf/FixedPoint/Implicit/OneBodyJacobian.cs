using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The Newton step J⁻¹R of the linearised solve (<see cref="LinearizedSolution"/>) for a one-body update, whose Δρ_i depends only
/// on atom i's features V̂_i (docs/training.md, "Training modes"). V̂ is affine in y = [ρ, μ] with a parameter-free
/// matrix T = ∂V̂/∂y that depends only on the geometry, so
///   ∂R_ρ/∂y = [I 0] − A·T,  A = ∂Δρ/∂V̂ block-diagonal per atom ([N, K, F]),
/// and the charge rows ∂R_μ/∂y are constant. T comes from evaluating the linear part of V̂ on basis vectors, colored as in
/// <see cref="BlockJacobian"/> (one evaluation per unknown of the largest frame, nothing differentiated, no graph); A from K
/// vector–Jacobian products of the update alone.
///
/// T depends on the positions, and a force loss differentiates the step s = J⁻¹R with respect to them. Instead of keeping the
/// graph of every column of T, the step carries T's first-order change exactly: with T̄ its value (a constant),
///   s̃ = J̄⁻¹R + J̄⁻¹ [A·(T(r) − T̄)·s; 0],  J̄ = I − A·T̄,  s = J̄⁻¹R,
/// where T(r)·s is one evaluation of the features of the density s on the position graph. s̃ equals J⁻¹R, and so do its
/// derivatives of every order in the parameters, its first derivative in the positions and the mixed ones (what forces and a
/// force loss take): s̃ − J⁻¹R is of second order in T(r) − T̄. Tested against <see cref="BlockJacobian"/> in
/// `OneBodyJacobianTests`.
internal static class OneBodyJacobian
{
    /// J⁻¹R at y.
    /// <param name="geometry">the map F at this geometry, whose update is one-body</param>
    /// <param name="residual">R(y) [D], on the graph of <paramref name="y"/></param>
    /// <param name="y">the unknowns [ρ (N·K), μ (one per group, with regions)]</param>
    /// <param name="n">N, the atoms</param>
    /// <param name="k">K, the density components per atom</param>
    /// <param name="fermiLevel">[G] the fixed μ when <paramref name="regions"/> is null (μ is then not an unknown)</param>
    /// <param name="regions">the groups whose μ are unknowns, or null at constant Fermi level</param>
    /// <param name="block">the frame of each unknown (length D)</param>
    /// <param name="differentiable">keep J on the graph (linearize_solve, or implicit with forces); otherwise J is a constant</param>
    public static Tensor Step(FixedPointGeometry geometry, Tensor residual, Tensor y, long n, long k, Tensor fermiLevel, FermiRegions? regions,
        long[] block, bool differentiable)
    {
        var transfer = Transfer(geometry, n, k, regions, block, y.dtype);
        var response = Response(geometry, y, n, k, fermiLevel, regions, differentiable);
        var jacobian = Assemble(transfer, response, n, k);
        if (!differentiable) return linalg.solve(jacobian.detach(), residual.unsqueeze(1)).squeeze(1);
        var step = linalg.solve(jacobian, residual.unsqueeze(1)).squeeze(1);
        long f = response.shape[2];
        var change = LinearFeatures(geometry, step, n, k, regions).flatten() - transfer.narrow(0, 0, n * f).matmul(step);
        var rows = response.bmm(change.view(n, f, 1)).view(n * k);
        if (regions is not null) rows = cat([rows, zeros(regions.Count, dtype: y.dtype, device: y.device)]);
        return step.Plus(linalg.solve(jacobian, rows.unsqueeze(1)).squeeze(1));
    }

    /// J (D × D) at y with T at its value (not differentiable with respect to the positions), rows and columns ordered as y;
    /// entries between different frames are 0.
    internal static Tensor Jacobian(FixedPointGeometry geometry, Tensor y, long n, long k, Tensor fermiLevel, FermiRegions? regions, long[] block,
        bool createGraph) =>
        Assemble(Transfer(geometry, n, k, regions, block, y.dtype), Response(geometry, y, n, k, fermiLevel, regions, createGraph), n, k);

    /// [[I 0] − A·T_V̂; T_μ] from T [N·F + M, D] and A [N, K, F].
    static Tensor Assemble(Tensor transfer, Tensor response, long n, long k)
    {
        long d = transfer.shape[1], f = response.shape[2];
        var densityRows = eye(n * k, d, dtype: transfer.dtype, device: transfer.device)
                          - response.bmm(transfer.narrow(0, 0, n * f).view(n, f, d)).view(n * k, d);
        long m = transfer.shape[0] - n * f;
        return m == 0 ? densityRows : cat([densityRows, transfer.narrow(0, n * f, m)], 0);
    }

    /// The constant matrix of the affine part of the residual: rows [V̂ (N·F, atom-major), R_μ (one per group)] by columns y.
    /// Column u of frame b is the linear part evaluated on a vector with a 1 at the unknown of u's rank in every frame, read in
    /// the rows of frame b (frames do not interact).
    static Tensor Transfer(FixedPointGeometry geometry, long n, long k, FermiRegions? regions, long[] block, ScalarType dtype)
    {
        if (block.Length != n * k + (regions?.Count ?? 0)) throw new ArgumentException($"{block.Length} block indices for {n} atoms", nameof(block));
        var (color, colors) = BlockJacobian.Colors(block);
        var colorIndex = tensor(color);
        using var noGrad = no_grad();
        var columns = new Tensor[colors];
        for (int c = 0; c < colors; c++)
        {
            var v = colorIndex.EqualTo(c).to(dtype);
            var features = LinearFeatures(geometry, v, n, k, regions).flatten();
            columns[c] = regions is null ? features : cat([features, ChargeRows(v, n, k, regions)]);
        }
        var atoms = geometry.Batch.cpu().data<long>().ToArray();
        long f = (columns[0].shape[0] - (regions?.Count ?? 0)) / n;
        var rowFrames = atoms.SelectMany(g => Enumerable.Repeat(g, (int)f));
        if (regions is not null) rowFrames = rowFrames.Concat(Enumerable.Range(0, regions.Count).Select(m => (long)(m / regions.Slots)));
        var sameFrame = tensor(rowFrames.ToArray()).unsqueeze(1).eq(tensor(block).unsqueeze(0)).to(dtype);
        return stack(columns, 1).index_select(1, colorIndex) * sameFrame;
    }

    /// The part of V̂(ρ, μ) linear in the unknowns v [N, F] (without the applied field and the Fermi-level offset).
    internal static Tensor LinearFeatures(FixedPointGeometry geometry, Tensor v, long n, long k, FermiRegions? regions)
    {
        var rho = v.narrow(0, 0, n * k).view(n, k);
        var mu = regions is null ? zeros(n, dtype: v.dtype, device: v.device) : regions.OfAtoms(v.narrow(0, n * k, regions.Count));
        return geometry.LinearFeatures(rho, mu);
    }

    /// The part of R_μ linear in the unknowns v: a held group's charge, another group's μ.
    internal static Tensor ChargeRows(Tensor v, long n, long k, FermiRegions regions) =>
        where(regions.Held, regions.Sum(v.narrow(0, 0, n * k).view(n, k).select(1, 0)), v.narrow(0, n * k, regions.Count));

    /// A = ∂Δρ/∂V̂ at y, [N, K, F]: the product with a 1 in component κ of every atom's Δρ gives row κ of every atom's block.
    static Tensor Response(FixedPointGeometry geometry, Tensor y, long n, long k, Tensor fermiLevel, FermiRegions? regions, bool createGraph)
    {
        var rho = y.narrow(0, 0, n * k).view(n, k);
        var mu = regions is null ? fermiLevel.index_select(0, geometry.Batch) : regions.OfAtoms(y.narrow(0, n * k, regions.Count));
        var features = geometry.Features(rho, mu);
        var update = geometry.Update(features);
        var component = HeldScalars.Range(k, device: y.device);
        var rows = new Tensor[k];
        for (int kappa = 0; kappa < k; kappa++)
        {
            var v = component.EqualTo(kappa).to(y.dtype).expand(n, k);
            rows[kappa] = Gradients.Of([update], [features], [v], retainGraph: true, createGraph: createGraph)[0];
        }
        return stack(rows, 1);
    }
}
