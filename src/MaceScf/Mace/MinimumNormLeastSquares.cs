namespace MaceScf.Mace;

/// The minimum-norm least-squares solution of A x ≈ b, computed deterministically (same input, same bits): a one-sided
/// Jacobi SVD (Hestenes) in a fixed sweep order on one thread, so no threaded LAPACK reduction order can change the result.
/// The null space is fixed as by the pseudo-inverse: singular values at most max(m, n)·ε·σ_max count as zero, and the
/// solution has no component along their right singular vectors (of all least-squares solutions, the one of least norm).
internal static class MinimumNormLeastSquares
{
    private const int MaxSweeps = 100;

    /// The spacing of doubles at 1 (numpy's finfo(float64).eps), not .NET's double.Epsilon (the smallest subnormal).
    private const double MachineEpsilon = 2.220446049250313e-16;

    /// <param name="a">row-major [m, n]</param>
    /// <param name="b">[m] the right-hand side</param>
    public static double[] Solve(double[,] a, double[] b)
    {
        int m = a.GetLength(0), n = a.GetLength(1);
        if (b.Length != m) throw new ArgumentException($"{m} rows but {b.Length} right-hand sides");
        var u = (double[,])a.Clone();
        var v = new double[n, n];
        for (int j = 0; j < n; j++) v[j, j] = 1;
        for (int sweep = 0; sweep < MaxSweeps; sweep++)
        {
            bool rotated = false;
            for (int p = 0; p < n - 1; p++)
                for (int q = p + 1; q < n; q++)
                {
                    double alpha = 0, beta = 0, gamma = 0;
                    for (int i = 0; i < m; i++)
                    {
                        alpha += u[i, p] * u[i, p];
                        beta += u[i, q] * u[i, q];
                        gamma += u[i, p] * u[i, q];
                    }
                    if (Math.Abs(gamma) <= MachineEpsilon * Math.Sqrt(alpha * beta)) continue;
                    rotated = true;
                    double zeta = (beta - alpha) / (2 * gamma);
                    double t = (zeta >= 0 ? 1 : -1) / (Math.Abs(zeta) + Math.Sqrt(1 + zeta * zeta));
                    double c = 1 / Math.Sqrt(1 + t * t), s = c * t;
                    Rotate(u, m, p, q, c, s);
                    Rotate(v, n, p, q, c, s);
                }
            if (!rotated) break;
        }
        var sigma = new double[n];
        for (int j = 0; j < n; j++)
        {
            double sum = 0;
            for (int i = 0; i < m; i++) sum += u[i, j] * u[i, j];
            sigma[j] = Math.Sqrt(sum);
        }
        double cutoff = Math.Max(m, n) * MachineEpsilon * sigma.DefaultIfEmpty(0).Max();
        var x = new double[n];
        for (int j = 0; j < n; j++)
        {
            if (sigma[j] <= cutoff) continue;
            double projection = 0;
            for (int i = 0; i < m; i++) projection += u[i, j] * b[i];
            double coefficient = projection / (sigma[j] * sigma[j]);
            for (int k = 0; k < n; k++) x[k] += v[k, j] * coefficient;
        }
        return x;
    }

    private static void Rotate(double[,] matrix, int rows, int p, int q, double c, double s)
    {
        for (int i = 0; i < rows; i++)
        {
            double xp = matrix[i, p], xq = matrix[i, q];
            matrix[i, p] = c * xp - s * xq;
            matrix[i, q] = s * xp + c * xq;
        }
    }
}
