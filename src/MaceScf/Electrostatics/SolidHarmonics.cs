using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Real solid harmonics |v|^l Y_lm(v̂) with integral-normalised Y (∫Y² dΩ = 1), evaluated on the
/// permuted vector (y, z, x) as everywhere in the model (docs/math.md, "Units and conventions"). Columns l-major, m = −l..l:
/// l=1 gives (y, z, x), l=2 gives xy, yz, 3z²−r², xz, x²−y² with the usual prefactors.
internal static class SolidHarmonics
{
    /// <param name="v">Cartesian vectors [..., 3].</param>
    /// <param name="maxL">the highest order l.</param>
    /// <returns>[..., (maxL+1)²].</returns>
    public static Tensor Evaluate(Tensor v, int maxL) =>
        stack(Columns(v[TensorIndex.Ellipsis, 0], v[TensorIndex.Ellipsis, 1], v[TensorIndex.Ellipsis, 2], maxL), -1);

    /// The (maxL+1)² columns of vectors given by their Cartesian components, each shaped like <paramref name="x"/>
    /// (for large sets of vectors: no [..., 3] copy is made).
    public static List<Tensor> Columns(Tensor x, Tensor y, Tensor z, int maxL)
    {
        if (maxL < 0 || maxL > ElectrostaticsOptions.MaxSupportedL)
            throw new ArgumentException($"solid harmonics are available for l in 0..{ElectrostaticsOptions.MaxSupportedL}, got {maxL}");
        using var c0 = (0.5 / Math.Sqrt(Math.PI)).ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var columns = new List<Tensor> { full_like(x, c0) };
        if (maxL >= 1)
        {
            double c1 = Math.Sqrt(3.0 / (4.0 * Math.PI));
            columns.Add(y.Times(c1));
            columns.Add(z.Times(c1));
            columns.Add(x.Times(c1));
        }
        if (maxL >= 2)
        {
            double c2 = 0.5 * Math.Sqrt(15.0 / Math.PI);
            double c20 = 0.25 * Math.Sqrt(5.0 / Math.PI);
            columns.Add(x.Times(c2) * y);
            columns.Add(y.Times(c2) * z);
            columns.Add((z.Times(2) * z - x * x - y * y).Times(c20));
            columns.Add(x.Times(c2) * z);
            columns.Add((x * x - y * y).Times(0.5 * c2));
        }
        return columns;
    }

    /// The angular order l of each column of a (maxL+1)² layout.
    public static int[] DegreeOfColumn(int maxL) =>
        Enumerable.Range(0, maxL + 1).SelectMany(l => Enumerable.Repeat(l, 2 * l + 1)).ToArray();
}
