using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Reciprocal lattice of one cell (rows a_i) and the half-space of k-vectors inside a sphere
/// (docs/math.md, "Reciprocal-space sums"). One of each ±k pair is kept and k = 0 is left out (its Coulomb kernel is zero).
internal static class ReciprocalLattice
{
    /// Rows b_i with a_i·b_j = 2π δ_ij: 2π (cellᵀ)⁻¹. Differentiable in the cell.
    public static Tensor Vectors(Tensor cell) => linalg.inv(cell).transpose(0, 1).Times(2 * Math.PI);

    /// Integer triples n (as float64, [K,3]) with k = n·B inside |k| ≤ kCutoff, one per ±k pair,
    /// without the origin. |n_i| ≤ ceil(kc|a_i|/2π) bounds the sphere exactly for any triclinic cell.
    public static Tensor HalfSpaceIndices(Tensor cell, double kCutoff)
    {
        using var scope = NewDisposeScope();
        var a = cell.detach().to(float64);
        var b = Vectors(a);
        var bounds = a.norm(1).Times(kCutoff / (2 * Math.PI)).ceil().to(int64).data<long>().ToArray();
        var grid = meshgrid(new[] { HeldScalars.Range(-bounds[1], bounds[1] + 1, float64), HeldScalars.Range(-bounds[2], bounds[2] + 1, float64) }, indexing: "ij");
        var plane = stack(new[] { grid[0].reshape(-1), grid[1].reshape(-1) }, 1);
        var n2 = plane[.., 0];
        var n3 = plane[.., 1];
        var slices = new List<Tensor>();
        // One lattice plane n1 = const at a time keeps memory at O(n2·n3) however large the sphere.
        for (long n1 = 0; n1 <= bounds[0]; n1++)
        {
            using var plane1 = n1.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
            var n = cat(new[] { full(plane.shape[0], 1, plane1, dtype: float64), plane }, 1);
            var upperHalf = n1 > 0 ? ones_like(n2, dtype: @bool) : n2.GreaterThan(0) | (n2.EqualTo(0) & n3.GreaterThan(0));
            var inside = n.matmul(b).Squared().sum(1).AtMost(kCutoff * kCutoff);
            slices.Add(n.index_select(0, (upperHalf & inside).nonzero().squeeze(1)));
        }
        return cat(slices, 0).MoveToOuterDisposeScope();
    }
}
