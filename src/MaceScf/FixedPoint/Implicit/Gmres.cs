using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// GMRES for A x = b with A given only as products v ↦ A v (Arnoldi with modified Gram–Schmidt; the small least-squares
/// problem min ‖β e₁ − H y‖ is re-solved at every iteration). No restarts: at most <paramref name="maxIterations"/> products.
public static class Gmres
{
    /// x with ‖b − A x‖ ≤ tolerance · ‖b‖, or the best x after maxIterations; and the relative residual reached.
    public static (Tensor Solution, double RelativeResidual) Solve(Func<Tensor, Tensor> apply, Tensor b, double tolerance, int maxIterations)
    {
        using var noGrad = no_grad();
        double beta = b.norm().ToDouble();
        if (beta == 0) return (zeros_like(b), 0);
        var basis = new List<Tensor> { b / beta };
        var h = new double[(maxIterations + 1) * maxIterations];
        double[] y = [];
        double residual = 1;
        int k = 0;
        for (; k < maxIterations; k++)
        {
            var w = apply(basis[k]);
            for (int j = 0; j <= k; j++)
            {
                double hjk = w.dot(basis[j]).ToDouble();
                h[j * maxIterations + k] = hjk;
                w = w - hjk * basis[j];
            }
            double next = w.norm().ToDouble();
            h[(k + 1) * maxIterations + k] = next;
            (y, residual) = LeastSquares(h, maxIterations, k + 1, beta);
            if (residual <= tolerance || next <= 1e-14 * beta) { k++; break; }
            basis.Add(w / next);
        }
        var x = zeros_like(b);
        for (int j = 0; j < y.Length; j++) x = x + y[j] * basis[j];
        return (x, residual);
    }

    /// y minimising ‖β e₁ − H y‖ for the (m + 1) × m Hessenberg block, and that residual / β.
    static (double[] Y, double Residual) LeastSquares(double[] h, int stride, int m, double beta)
    {
        var block = new double[(m + 1) * m];
        for (int i = 0; i <= m; i++)
            for (int j = 0; j < m; j++) block[i * m + j] = h[i * stride + j];
        var a = tensor(block, dtype: ScalarType.Float64).view(m + 1, m);
        var rhs = zeros(m + 1, 1, dtype: ScalarType.Float64);
        rhs[0, 0] = beta;
        var y = linalg.lstsq(a, rhs).Solution;
        double residual = (rhs - a.matmul(y)).norm().ToDouble() / beta;
        return (y.squeeze(1).data<double>().ToArray(), residual);
    }
}
