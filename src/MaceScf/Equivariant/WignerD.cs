using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// Real Wigner D matrices in the basis of <see cref="SphericalHarmonics"/>: Y_l(R r) = D^l(R) Y_l(r).
internal static class WignerD
{
    /// D^l(R) for a proper rotation R [3,3] (float64) and harmonics evaluated in the given vector order.
    /// Built by D¹ = R (xyz order) and D^{l+1} = (2l+3) C^T (D^l ⊗ D¹) C with C = C^{(l,1,l+1)} (the coupling is an
    /// isometry onto the l+1 block up to the factor 1/(2l+3)).
    public static Tensor Matrix(int l, Tensor rotation, VectorOrder order = VectorOrder.Xyz)
    {
        using var scope = NewDisposeScope();
        var r = rotation.to_type(ScalarType.Float64);
        if (order == VectorOrder.Yzx)
        {
            // Harmonics of P r with P r = (y, z, x): Y(P R r) = D(P R Pᵀ) Y(P r).
            var p = tensor(new double[] { 0, 1, 0, 0, 0, 1, 1, 0, 0 }, new long[] { 3, 3 }, dtype: ScalarType.Float64);
            r = p.matmul(r).matmul(p.T);
        }
        var d = eye(1, dtype: ScalarType.Float64);
        for (int k = 0; k < l; k++)
        {
            var c = Wigner3j.AsTensor(k, 1, k + 1).reshape((2 * k + 1) * 3, 2 * k + 3);
            var kron = torch.kron(d, r);
            d = c.T.matmul(kron).matmul(c).Times(2.0 * k + 3);
        }
        return d.MoveToOuterDisposeScope();
    }

    /// Representation of an orthogonal matrix g (det ±1) on irrep (l,p): D^l(g·det g) times p if g is improper.
    public static Tensor Matrix(Irrep ir, Tensor orthogonal, VectorOrder order = VectorOrder.Xyz)
    {
        using var scope = NewDisposeScope();
        double det = linalg.det(orthogonal.to_type(ScalarType.Float64)).item<double>();
        var proper = det < 0 ? -orthogonal : orthogonal;
        var d = Matrix(ir.L, proper, order);
        if (det < 0 && ir.P == -1) d = -d;
        return d.MoveToOuterDisposeScope();
    }

    /// Block-diagonal representation [dim, dim] of g on a feature with these irreps (mul_ir layout).
    public static Tensor ForIrreps(Irreps irreps, Tensor orthogonal, VectorOrder order = VectorOrder.Xyz)
    {
        using var scope = NewDisposeScope();
        var blocks = new List<Tensor>();
        foreach (var s in irreps.Segments)
        {
            var d = Matrix(s.Ir, orthogonal, order);
            for (int u = 0; u < s.Mul; u++) blocks.Add(d);
        }
        return torch.block_diag(blocks.ToArray()).MoveToOuterDisposeScope();
    }
}

/// 3×3 rotation matrices (float64).
internal static class Rotations
{
    /// e3nn's Euler convention: R = R_y(α) R_x(β) R_y(γ).
    public static Tensor FromEulerAngles(double alpha, double beta, double gamma) =>
        AboutY(alpha).matmul(AboutX(beta)).matmul(AboutY(gamma));

    public static Tensor AboutX(double a) => tensor(new[]
    {
        1, 0, 0,
        0, Math.Cos(a), -Math.Sin(a),
        0, Math.Sin(a), Math.Cos(a),
    }, new long[] { 3, 3 }, dtype: ScalarType.Float64);

    public static Tensor AboutY(double a) => tensor(new[]
    {
        Math.Cos(a), 0, Math.Sin(a),
        0, 1, 0,
        -Math.Sin(a), 0, Math.Cos(a),
    }, new long[] { 3, 3 }, dtype: ScalarType.Float64);

    public static Tensor AboutZ(double a) => tensor(new[]
    {
        Math.Cos(a), -Math.Sin(a), 0,
        Math.Sin(a), Math.Cos(a), 0,
        0, 0, 1,
    }, new long[] { 3, 3 }, dtype: ScalarType.Float64);

    /// Uniformly distributed proper rotation from a normalised Gaussian quaternion.
    public static Tensor Random(Random rng)
    {
        double w = Gaussian(rng), x = Gaussian(rng), y = Gaussian(rng), z = Gaussian(rng);
        double n = Math.Sqrt(w * w + x * x + y * y + z * z);
        w /= n; x /= n; y /= n; z /= n;
        return tensor(new[]
        {
            1 - 2 * (y * y + z * z), 2 * (x * y - z * w), 2 * (x * z + y * w),
            2 * (x * y + z * w), 1 - 2 * (x * x + z * z), 2 * (y * z - x * w),
            2 * (x * z - y * w), 2 * (y * z + x * w), 1 - 2 * (x * x + y * y),
        }, new long[] { 3, 3 }, dtype: ScalarType.Float64);
    }

    private static double Gaussian(Random rng) =>
        Math.Sqrt(-2 * Math.Log(1 - rng.NextDouble())) * Math.Cos(2 * Math.PI * rng.NextDouble());
}
