using System.Collections.Concurrent;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// MACE's generalised Clebsch–Gordan "U matrices" (U_matrix_real, component normalisation): the ν-fold couplings of
/// the input irreps I (dim D) to one output irrep. U_ν has shape [2L+1, D, …, D (ν times), K] (leading axis dropped for
/// L = 0) and Σ_a U[M, a₁…a_ν, k] Π_t A[a_t] is the k-th equivariant polynomial of degree ν transforming as (L, p).
/// Built recursively: P_{ν+1}[M, a, b] = √(2L+1) Σ_j C^{(L, l_left, l_s)}[M, j, b − off_s] P_ν[j, a] over the sorted
/// list of degree-ν paths, right segments s of I and L ∈ l_left ⊗ l_s; paths are stable-sorted by output irrep, and
/// those with the requested irrep, in that order, are the K columns.
internal static class UMatrices
{
    private sealed record Coupling(Irrep Ir, Tensor Basis); // Basis [2l+1, D^ν]

    private static readonly ConcurrentDictionary<(string, Irrep, int), Tensor> Cache = new();

    /// A fresh copy of U_ν (float64, CPU); computed once per (irreps, output, correlation) and process.
    public static Tensor Real(Irreps irrepsIn, Irrep irOut, int correlation)
    {
        if (correlation < 1) throw new ArgumentOutOfRangeException(nameof(correlation));
        return Cache.GetOrAdd((irrepsIn.ToString(), irOut, correlation), _ => Build(irrepsIn, irOut, correlation).DetachFromDisposeScope()).clone();
    }

    private static Tensor Build(Irreps irrepsIn, Irrep irOut, int correlation)
    {
        using var scope = NewDisposeScope();
        var last = correlation == 1
            ? Couplings(irrepsIn, 0).Where(c => c.Ir == irOut).ToList()
            : Extend(Couplings(irrepsIn, correlation - 2), irrepsIn, irOut);
        if (last.Count == 0) throw new ArgumentException($"No coupling of '{irrepsIn}' to {irOut} at correlation {correlation}.");
        int d = irrepsIn.Dim;
        var shape = new List<long>();
        if (irOut.L > 0) shape.Add(irOut.Dim);
        shape.AddRange(Enumerable.Repeat((long)d, correlation));
        shape.Add(last.Count);
        return torch.stack(last.Select(c => c.Basis).ToArray(), -1).reshape(shape.ToArray()).MoveToOuterDisposeScope();
    }

    /// Number of paths K for each correlation 1..maxCorrelation.
    public static int[] PathCounts(Irreps irrepsIn, Irrep irOut, int maxCorrelation) =>
        Enumerable.Range(1, maxCorrelation).Select(nu =>
        {
            using var scope = NewDisposeScope();
            return (int)Real(irrepsIn, irOut, nu).shape[^1];
        }).ToArray();

    /// The sorted list of all degree-(depth+1) couplings.
    private static List<Coupling> Couplings(Irreps irrepsIn, int depth)
    {
        var list = new List<Coupling>();
        int d = irrepsIn.Dim, offset = 0;
        var eye = torch.eye(d, dtype: ScalarType.Float64);
        foreach (var s in irrepsIn.Segments)
            for (int u = 0; u < s.Mul; u++, offset += s.Ir.Dim)
                list.Add(new Coupling(s.Ir, eye.narrow(0, offset, s.Ir.Dim)));
        for (int level = 0; level < depth; level++) list = Extend(list, irrepsIn, null);
        return list;
    }

    /// One more factor on the right; only outputs equal to <paramref name="only"/> when given. Stable-sorted by irrep.
    private static List<Coupling> Extend(List<Coupling> left, Irreps irrepsIn, Irrep? only)
    {
        int d = irrepsIn.Dim;
        var next = new List<Coupling>();
        foreach (var c in left)
        {
            int offset = 0;
            foreach (var s in irrepsIn.Segments)
            {
                foreach (var irOut in c.Ir.Times(s.Ir))
                {
                    if (only is { } o && irOut != o) continue;
                    // [out, left, right] · √(2L+1), then contract the left index with the left basis.
                    var cg = Wigner3j.AsTensor(irOut.L, c.Ir.L, s.Ir.L).Times(Math.Sqrt(irOut.Dim));
                    var coupled = torch.einsum("jk,ijl->ikl", c.Basis, cg); // [out, D^ν, right]
                    for (int u = 0; u < s.Mul; u++)
                    {
                        var basis = torch.zeros(new long[] { irOut.Dim, c.Basis.shape[1], d }, dtype: ScalarType.Float64);
                        basis.narrow(2, offset + u * s.Ir.Dim, s.Ir.Dim).copy_(coupled);
                        next.Add(new Coupling(irOut, basis.reshape(irOut.Dim, -1)));
                    }
                }
                offset += s.Dim;
            }
        }
        return next.Select((c, i) => (c, i)).OrderBy(t => t.c.Ir).ThenBy(t => t.i).Select(t => t.c).ToList();
    }
}
