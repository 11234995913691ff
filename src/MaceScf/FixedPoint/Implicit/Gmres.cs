using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// GMRES for A x = b with A given only as products v ↦ A v (Arnoldi with modified Gram–Schmidt). The small least-squares
/// problem min ‖β e₁ − H y‖ is solved in managed code by Givens rotations applied to each new column of H, in a fixed
/// order on one thread, so the same products give the same bits (docs/errors.md, "Reproducibility": libtorch's `lstsq`
/// did not). No restarts: at most maxIterations products. An optional right preconditioner M⁻¹ (an approximate inverse of A) solves
/// A M⁻¹ z = b and returns x = M⁻¹ z: the residual GMRES minimises is still b − A x, so the tolerance means the same with and without.
internal static class Gmres
{
    /// x with ‖b − A x‖ ≤ tolerance · max(‖b‖, scale), or the best x after maxIterations; and the relative residual reached,
    /// ‖b − A x‖ / max(‖b‖, scale).
    /// <param name="apply">u ↦ A u</param>
    /// <param name="b">the right-hand side</param>
    /// <param name="tolerance">the relative residual to reach</param>
    /// <param name="maxIterations">the most products of A (no restarts)</param>
    /// <param name="scale">the size against which the residual is measured when it exceeds ‖b‖ (a Newton step's right-hand side
    /// is the small residual of a converged solution, whose own size sets the precision that matters); 0: ‖b‖</param>
    /// <param name="precondition">u ↦ M⁻¹ u, or null</param>
    public static (Tensor Solution, double RelativeResidual) Solve(Func<Tensor, Tensor> apply, Tensor b, double tolerance, int maxIterations,
        double scale = 0, Func<Tensor, Tensor>? precondition = null)
    {
        using var noGrad = no_grad();
        double beta = b.norm().Value();
        if (beta == 0) return (zeros_like(b), 0);
        double reference = Math.Max(beta, scale);
        var basis = new List<Tensor> { b.DividedBy(beta) };
        var triangle = new HessenbergTriangle(maxIterations, beta);
        double residual = 1;
        for (int k = 0; k < maxIterations; k++)
        {
            var w = apply(precondition is null ? basis[k] : precondition(basis[k]));
            var column = new double[k + 2];
            for (int j = 0; j <= k; j++)
            {
                column[j] = w.dot(basis[j]).Value();
                w = w - basis[j].Times(column[j]);
            }
            double next = w.norm().Value();
            column[k + 1] = next;
            residual = triangle.Append(column) / reference;
            if (residual <= tolerance || next <= 1e-14 * beta) break;
            basis.Add(w.DividedBy(next));
        }
        var y = triangle.Solution();
        var x = zeros_like(b);
        for (int j = 0; j < y.Length; j++) x = x.Plus(basis[j].Times(y[j]));
        return (precondition is null ? x : precondition(x), residual);
    }
}

/// The QR factorisation of the (k + 1) × k Hessenberg matrix H of GMRES, grown one column at a time: every column is rotated
/// by the Givens rotations of the previous columns, then a new rotation zeroes its subdiagonal entry. The rotated right-hand
/// side g = Qᵀ β e₁ gives the least-squares residual |g_k| without solving, and y = R⁻¹ g₀..ₖ₋₁ by back substitution.
internal sealed class HessenbergTriangle(int maxColumns, double beta)
{
    private readonly double[,] _r = new double[maxColumns, maxColumns];
    private readonly double[] _cos = new double[maxColumns], _sin = new double[maxColumns];
    private readonly double[] _g = InitialRightHandSide(maxColumns, beta);
    private int _columns;

    private static double[] InitialRightHandSide(int maxColumns, double beta)
    {
        var g = new double[maxColumns + 1];
        g[0] = beta;
        return g;
    }

    /// Adds column k (its k + 2 entries h₀ₖ … hₖ₊₁,ₖ) and returns the least-squares residual ‖β e₁ − H y‖ of the k + 1 columns.
    public double Append(double[] column)
    {
        int k = _columns;
        for (int j = 0; j < k; j++)
        {
            double upper = _cos[j] * column[j] + _sin[j] * column[j + 1];
            column[j + 1] = -_sin[j] * column[j] + _cos[j] * column[j + 1];
            column[j] = upper;
        }
        double radius = Hypotenuse(column[k], column[k + 1]);
        (_cos[k], _sin[k]) = radius == 0 ? (1.0, 0.0) : (column[k] / radius, column[k + 1] / radius);
        column[k] = radius;
        for (int j = 0; j <= k; j++) _r[j, k] = column[j];
        _g[k + 1] = -_sin[k] * _g[k];
        _g[k] = _cos[k] * _g[k];
        _columns = k + 1;
        return Math.Abs(_g[k + 1]);
    }

    /// y minimising ‖β e₁ − H y‖ over the columns appended so far (a zero diagonal entry leaves its component at 0).
    public double[] Solution()
    {
        var y = new double[_columns];
        for (int i = _columns - 1; i >= 0; i--)
        {
            double sum = _g[i];
            for (int j = i + 1; j < _columns; j++) sum -= _r[i, j] * y[j];
            y[i] = _r[i, i] == 0 ? 0 : sum / _r[i, i];
        }
        return y;
    }

    private static double Hypotenuse(double a, double b)
    {
        double scale = Math.Max(Math.Abs(a), Math.Abs(b));
        if (scale == 0) return 0;
        double x = a / scale, y = b / scale;
        return scale * Math.Sqrt(x * x + y * y);
    }
}
