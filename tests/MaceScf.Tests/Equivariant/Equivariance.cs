using MaceScf.Equivariant;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

/// Checks that a block's output transforms with the irreps it claims, for proper and improper orthogonal matrices.
internal static class Equivariance
{
    /// max |f(D_in x) − D_out f(x)| over <paramref name="trials"/> random rotations, half of them improper.
    public static double MaxError(Func<Tensor, Tensor, Tensor> f, Irreps irrepsIn, Irreps irrepsOut, Tensor x, int seed, int trials = 4)
    {
        var rng = new System.Random(seed);
        double worst = 0;
        for (int t = 0; t < trials; t++)
        {
            using var scope = NewDisposeScope();
            var g = Reference.Orthogonal(rng, improper: t % 2 == 1);
            var dIn = WignerD.ForIrreps(irrepsIn, g);
            var dOut = WignerD.ForIrreps(irrepsOut, g);
            var lhs = f(x.matmul(dIn.T), g);
            var rhs = f(x, eye(3, dtype: ScalarType.Float64)).matmul(dOut.T);
            worst = Math.Max(worst, Reference.MaxDiff(lhs, rhs));
        }
        return worst;
    }
}
