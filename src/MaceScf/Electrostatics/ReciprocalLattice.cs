using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Reciprocal lattice of one cell (rows a_i) and the half-space of k-vectors inside a sphere
/// (notes §2.3). One of each ±k pair is kept and k = 0 is left out (its Coulomb kernel is zero).
public static class ReciprocalLattice
{
    /// Rows b_i with a_i·b_j = 2π δ_ij: 2π (cellᵀ)⁻¹. Differentiable in the cell.
    public static Tensor Vectors(Tensor cell) => 2 * Math.PI * linalg.inv(cell).transpose(0, 1);

    /// Integer triples n (as float64, [K,3]) with k = n·B inside |k| ≤ kCutoff, one per ±k pair,
    /// without the origin. |n_i| ≤ ceil(kc|a_i|/2π) bounds the sphere exactly for any triclinic cell.
    public static Tensor HalfSpaceIndices(Tensor cell, double kCutoff)
    {
        using var scope = NewDisposeScope();
        var a = cell.detach().to(float64);
        var b = Vectors(a);
        var bounds = (a.norm(1) * (kCutoff / (2 * Math.PI))).ceil().to(int64).data<long>().ToArray();
        var ranges = bounds.Select(n => arange(-n, n + 1, dtype: float64)).ToArray();
        var grid = meshgrid(ranges, indexing: "ij");
        var n = stack(grid.Select(g => g.reshape(-1)).ToArray(), 1);
        var n1 = n[.., 0];
        var n2 = n[.., 1];
        var n3 = n[.., 2];
        var upperHalf = (n1 > 0) | ((n1 == 0) & (n2 > 0)) | ((n1 == 0) & (n2 == 0) & (n3 > 0));
        var inside = n.matmul(b).square().sum(1) <= kCutoff * kCutoff;
        var keep = (upperHalf & inside).nonzero().squeeze(1);
        return n.index_select(0, keep).MoveToOuterDisposeScope();
    }
}
