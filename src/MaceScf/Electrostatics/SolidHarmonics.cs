using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Real solid harmonics |v|^l Y_lm(v̂) with integral-normalised Y (∫Y² dΩ = 1), evaluated on the
/// permuted vector (y, z, x) as everywhere in the model (docs/math.md, "Units and conventions"). Columns l-major, m = −l..l:
/// l=1 gives (y, z, x), l=2 gives xy, yz, 3z²−r², xz, x²−y² with the usual prefactors.
internal static class SolidHarmonics
{
    /// <param name="v">Cartesian vectors [..., 3].</param>
    /// <returns>[..., (maxL+1)²].</returns>
    public static Tensor Evaluate(Tensor v, int maxL) =>
        stack(Columns(v[TensorIndex.Ellipsis, 0], v[TensorIndex.Ellipsis, 1], v[TensorIndex.Ellipsis, 2], maxL), -1);

    /// The (maxL+1)² columns of vectors given by their Cartesian components, each shaped like <paramref name="x"/>
    /// (for large sets of vectors: no [..., 3] copy is made).
    public static List<Tensor> Columns(Tensor x, Tensor y, Tensor z, int maxL)
    {
        if (maxL < 0 || maxL > ElectrostaticsOptions.MaxSupportedL)
            throw new ArgumentException($"solid harmonics are available for l in 0..{ElectrostaticsOptions.MaxSupportedL}, got {maxL}");
        var columns = new List<Tensor> { full_like(x, 0.5 / Math.Sqrt(Math.PI)) };
        if (maxL >= 1)
        {
            double c1 = Math.Sqrt(3.0 / (4.0 * Math.PI));
            columns.Add(c1 * y);
            columns.Add(c1 * z);
            columns.Add(c1 * x);
        }
        if (maxL >= 2)
        {
            double c2 = 0.5 * Math.Sqrt(15.0 / Math.PI);
            double c20 = 0.25 * Math.Sqrt(5.0 / Math.PI);
            columns.Add(c2 * x * y);
            columns.Add(c2 * y * z);
            columns.Add(c20 * (2 * z * z - x * x - y * y));
            columns.Add(c2 * x * z);
            columns.Add(0.5 * c2 * (x * x - y * y));
        }
        return columns;
    }

    /// The angular order l of each column of a (maxL+1)² layout.
    public static int[] DegreeOfColumn(int maxL) =>
        Enumerable.Range(0, maxL + 1).SelectMany(l => Enumerable.Repeat(l, 2 * l + 1)).ToArray();
}
