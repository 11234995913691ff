using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// Order in which the Cartesian components of a vector are fed to the harmonic polynomials.
internal enum VectorOrder
{
    /// e3nn's plain call: polynomials evaluated on (x, y, z); polar axis y, l=1 block = √3 (x, y, z).
    Xyz,

    /// The fixed-point model's call (docs/math.md, "Units and conventions"): polynomials evaluated on (y, z, x), giving textbook real
    /// harmonics with polar axis z and l=1 block = √3 (y, z, x) (m = −1, 0, 1).
    Yzx,
}

/// Real spherical harmonics Y_l (l = 0..lmax, concatenated; irreps 0e+1o+2e+…) with e3nn's "component"
/// normalisation Σ_m Y_lm(r̂)² = 2l+1, on normalised input vectors.
internal static class SphericalHarmonics
{
    /// <param name="lmax">the highest order l</param>
    /// <param name="vectors">[..., 3]</param>
    /// <param name="order">the order the Cartesian components are fed to the polynomials (e3nn's, or the fixed-point model's)</param>
    /// <param name="normalize">normalise the vectors first (false: they are unit vectors already)</param>
    /// <returns>[..., (lmax+1)²]</returns>
    public static Tensor Compute(int lmax, Tensor vectors, VectorOrder order = VectorOrder.Xyz, bool normalize = true)
    {
        if (lmax < 0) throw new ArgumentOutOfRangeException(nameof(lmax));
        using var scope = NewDisposeScope();
        var v = order == VectorOrder.Yzx ? vectors.index_select(-1, torch.tensor(new long[] { 1, 2, 0 }, device: vectors.device)) : vectors;
        if (normalize) v = nn.functional.normalize(v, dim: -1);
        var x = v[TensorIndex.Ellipsis, 0..1];
        var y = v[TensorIndex.Ellipsis, 1..2];
        var z = v[TensorIndex.Ellipsis, 2..3];
        var blocks = new List<Tensor> { torch.ones_like(x) };
        // Products with numbers through HeldScalars (docs/design.md, "Scalars"): c · T is T.Times(c), the same operation.
        if (lmax >= 1) blocks.Add(v.Times(Math.Sqrt(3)));
        if (lmax >= 2)
        {
            double s15 = Math.Sqrt(15), s5 = Math.Sqrt(5);
            var x2 = x * x; var y2 = y * y; var z2 = z * z;
            var y4 = x.Times(s15) * z;
            var y8 = (z2 - x2).Times(s15 / 2);
            blocks.Add(torch.cat(new[] { y4, x.Times(s15) * y, (y2 - x2.Plus(z2).Times(0.5)).Times(s5), y.Times(s15) * z, y8 }, -1));
            if (lmax >= 3)
            {
                double s42 = Math.Sqrt(42) / 6, s7 = Math.Sqrt(7), s168 = Math.Sqrt(168) / 8;
                var a = y2.Times(4) - x2 - z2;
                blocks.Add(torch.cat(new[]
                {
                    (y4 * z).Plus(y8 * x).Times(s42),
                    y4.Times(s7) * y,
                    a.Times(s168) * x,
                    y.Times(s7 / 2) * (y2.Times(2) - x2.Times(3) - z2.Times(3)),
                    z.Times(s168) * a,
                    y8.Times(s7) * y,
                    (y8 * z - y4 * x).Times(s42),
                }, -1));
            }
        }
        // Higher degrees: Y^{l+1}_k = (2l+3)/√(l+1) Σ_{ij} C^{(l,1,l+1)}_{ijk} Y^l_i r̂_j (docs/equivariant.md, "Conventions").
        for (int l = 3; l < lmax; l++)
        {
            var c = Wigner3j.AsTensor(l, 1, l + 1, v.dtype, v.device).reshape((2 * l + 1) * 3, 2 * l + 3);
            var outer = (blocks[^1].unsqueeze(-1) * v.unsqueeze(-2)).flatten(-2);
            blocks.Add(outer.matmul(c).Times((2.0 * l + 3) / Math.Sqrt(l + 1)));
        }
        return torch.cat(blocks, -1).MoveToOuterDisposeScope();
    }
}
