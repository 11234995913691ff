using System.Collections.Concurrent;
using System.Numerics;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// Real Clebsch–Gordan coefficients C^{(l1,l2,l3)} (e3nn's wigner_3j), shape [2l1+1, 2l2+1, 2l3+1], in the basis
/// of <see cref="SphericalHarmonics"/>, invariant under D^{l1}⊗D^{l2}⊗D^{l3}, with Σ C² = 1, and with the signs of
/// e3nn 0.4.4 (the version MACE pins): for l1 ≤ l2 ≤ l3 the all-m=0 entry is positive, or, when it vanishes (odd
/// l1+l2+l3), the first non-zero entry in row-major order is positive; other orders are index permutations of the sorted
/// triple, times (−1)^{l1+l2+l3} for odd permutations (so e.g. (2,1,2) is not normalised by the sign rule itself).
internal static class Wigner3j
{
    private static readonly ConcurrentDictionary<(int, int, int), double[,,]> Cache = new();

    public static bool IsAllowed(int l1, int l2, int l3) =>
        l1 >= 0 && l2 >= 0 && l3 >= 0 && Math.Abs(l1 - l2) <= l3 && l3 <= l1 + l2;

    /// A fresh copy of C^{(l1,l2,l3)}.
    public static double[,,] Compute(int l1, int l2, int l3)
    {
        if (!IsAllowed(l1, l2, l3)) throw new ArgumentException($"({l1},{l2},{l3}) violates the triangle rule.");
        return (double[,,])Cache.GetOrAdd((l1, l2, l3), k => Permuted(k.Item1, k.Item2, k.Item3)).Clone();
    }

    public static Tensor AsTensor(int l1, int l2, int l3, ScalarType dtype = ScalarType.Float64, Device? device = null)
    {
        var c = Compute(l1, l2, l3);
        var flat = new double[c.Length];
        Buffer.BlockCopy(c, 0, flat, 0, c.Length * sizeof(double));
        return torch.tensor(flat, new long[] { 2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1 }, dtype: dtype, device: device);
    }

    /// From the sorted triple, choosing the permutation π (base = (l_π0, l_π1, l_π2)) in e3nn 0.4.4's order of cases.
    private static double[,,] Permuted(int l1, int l2, int l3)
    {
        int[] l = [l1, l2, l3];
        int[] pi = l1 <= l2 && l2 <= l3 ? [0, 1, 2]
            : l1 <= l3 && l3 <= l2 ? [0, 2, 1]
            : l2 <= l1 && l1 <= l3 ? [1, 0, 2]
            : l3 <= l2 && l2 <= l1 ? [2, 1, 0]
            : l2 <= l3 && l3 <= l1 ? [1, 2, 0]
            : [2, 0, 1];
        if (pi[0] == 0 && pi[1] == 1) return Sorted(l1, l2, l3);
        var b = Cache.GetOrAdd((l[pi[0]], l[pi[1]], l[pi[2]]), k => Sorted(k.Item1, k.Item2, k.Item3));
        bool odd = pi[0] == 0 || pi[1] == 1 || pi[2] == 2;
        double sign = odd && (l1 + l2 + l3) % 2 == 1 ? -1 : 1;
        var c = new double[2 * l1 + 1, 2 * l2 + 1, 2 * l3 + 1];
        var idx = new int[3];
        for (idx[0] = 0; idx[0] <= 2 * l1; idx[0]++)
        for (idx[1] = 0; idx[1] <= 2 * l2; idx[1]++)
        for (idx[2] = 0; idx[2] <= 2 * l3; idx[2]++)
            c[idx[0], idx[1], idx[2]] = sign * b[idx[pi[0]], idx[pi[1]], idx[pi[2]]];
        return c;
    }

    private static double[,,] Sorted(int l1, int l2, int l3)
    {
        int d1 = 2 * l1 + 1, d2 = 2 * l2 + 1, d3 = 2 * l3 + 1;
        var q1 = RealToComplex(l1);
        var q2 = RealToComplex(l2);
        var q3 = RealToComplex(l3);
        // C[j,k,n] = Σ_{a,b,c} Q1[a,j] Q2[b,k] conj(Q3[c,n]) ⟨l1 a; l2 b | l3 c⟩ (a,b,c complex indices m+l).
        var c = new double[d1, d2, d3];
        double norm2 = 0;
        for (int j = 0; j < d1; j++)
        for (int k = 0; k < d2; k++)
        for (int n = 0; n < d3; n++)
        {
            Complex s = Complex.Zero;
            for (int a = 0; a < d1; a++)
            {
                if (q1[a, j] == Complex.Zero) continue;
                for (int b = 0; b < d2; b++)
                {
                    if (q2[b, k] == Complex.Zero) continue;
                    int m3 = (a - l1) + (b - l2);
                    if (Math.Abs(m3) > l3) continue;
                    int cc = m3 + l3;
                    if (q3[cc, n] == Complex.Zero) continue;
                    s += q1[a, j] * q2[b, k] * Complex.Conjugate(q3[cc, n]) * ClebschGordanSu2(l1, a - l1, l2, b - l2, l3);
                }
            }
            if (Math.Abs(s.Imaginary) > 1e-10) throw new InvalidOperationException("Clebsch–Gordan coefficients are not real.");
            c[j, k, n] = s.Real;
            norm2 += s.Real * s.Real;
        }
        double scale = 1 / Math.Sqrt(norm2);
        double pivot = c[l1, l2, l3];
        if (Math.Abs(pivot) < 1e-12)
            foreach (var v in c)
                if (Math.Abs(v) > 1e-12) { pivot = v; break; }
        if (pivot < 0) scale = -scale;
        for (int j = 0; j < d1; j++)
        for (int k = 0; k < d2; k++)
        for (int n = 0; n < d3; n++)
            c[j, k, n] *= scale;
        return c;
    }

    /// Change of basis Q[complex m + l, real index] from real to complex harmonics, times (−i)^l so the CG come out real.
    private static Complex[,] RealToComplex(int l)
    {
        var q = new Complex[2 * l + 1, 2 * l + 1];
        double h = 1 / Math.Sqrt(2);
        for (int m = -l; m < 0; m++)
        {
            q[l + m, l - m] = h;
            q[l + m, l + m] = new Complex(0, -h);
        }
        q[l, l] = 1;
        for (int m = 1; m <= l; m++)
        {
            double sign = m % 2 == 0 ? 1 : -1;
            q[l + m, l + m] = sign * h;
            q[l + m, l - m] = new Complex(0, sign * h);
        }
        var phase = Complex.Pow(new Complex(0, -1), l);
        for (int i = 0; i <= 2 * l; i++)
        for (int j = 0; j <= 2 * l; j++)
            q[i, j] *= phase;
        return q;
    }

    /// Condon–Shortley ⟨l1 m1; l2 m2 | l3 m1+m2⟩ from Racah's formula, summed exactly in rationals.
    private static double ClebschGordanSu2(int l1, int m1, int l2, int m2, int l3)
    {
        int m3 = m1 + m2;
        // ⟨..⟩ = sqrt[(2l3+1)(l3+l1−l2)!(l3−l1+l2)!(l1+l2−l3)!/(l1+l2+l3+1)! · Π(l±m)!] · Σ_k (−1)^k / [k!(l1+l2−l3−k)!
        //        (l1−m1−k)!(l2+m2−k)!(l3−l2+m1+k)!(l3−l1−m2+k)!]
        int kmin = Math.Max(0, Math.Max(l2 - l3 - m1, l1 - l3 + m2));
        int kmax = Math.Min(l1 + l2 - l3, Math.Min(l1 - m1, l2 + m2));
        BigInteger sNum = 0, sDen = 1;
        for (int k = kmin; k <= kmax; k++)
        {
            var den = F(k) * F(l1 + l2 - l3 - k) * F(l1 - m1 - k) * F(l2 + m2 - k) * F(l3 - l2 + m1 + k) * F(l3 - l1 - m2 + k);
            sNum = sNum * den + (k % 2 == 0 ? sDen : -sDen);
            sDen *= den;
        }
        if (sNum.IsZero) return 0;
        var num = (2 * l3 + 1) * F(l3 + l1 - l2) * F(l3 - l1 + l2) * F(l1 + l2 - l3)
                  * F(l1 + m1) * F(l1 - m1) * F(l2 + m2) * F(l2 - m2) * F(l3 + m3) * F(l3 - m3) * sNum * sNum;
        var den2 = F(l1 + l2 + l3 + 1) * sDen * sDen;
        return sNum.Sign * Math.Sqrt(Ratio(num, den2));
    }

    private static BigInteger F(int n)
    {
        BigInteger r = 1;
        for (int i = 2; i <= n; i++) r *= i;
        return r;
    }

    /// num/den as a correctly scaled double (both may exceed the double range).
    private static double Ratio(BigInteger num, BigInteger den)
    {
        int shift = 80 - (int)(num.GetBitLength() - den.GetBitLength());
        var q = shift >= 0 ? (num << shift) / den : num / (den << -shift);
        return Math.ScaleB((double)q, -shift);
    }
}
