using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The "dot_products" tensor product a ⊗ b → C x0e with 'uvu' paths for every pair of equal irreps (docs/math.md, "The fixed-point map"):
/// s_u = Σ_paths Σ_v w^path_uv ⟨a_u, b_v⟩ / √(2l+1) / √(fan_in), fan_in = Σ_paths mul_b (e3nn component/element
/// normalisation; the 3j symbol of (l, l, 0) is δ_mm'/√(2l+1)).
internal sealed class InvariantDotProducts : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly (int A, int B, int Dim, int MulB)[] _paths;
    private readonly int[] _offsetsA, _offsetsB;
    private readonly double _norm;

    public InvariantDotProducts(Irreps irrepsA, Irreps irrepsB, ScalarType dtype = ScalarType.Float64) : base(nameof(InvariantDotProducts))
    {
        Channels = irrepsA.UniformMultiplicity() ?? throw new ArgumentException($"'{irrepsA}' needs one multiplicity.");
        var paths = new List<(int, int, int, int)>();
        for (int i = 0; i < irrepsA.Count; i++)
        for (int j = 0; j < irrepsB.Count; j++)
            if (irrepsA[i].Ir == irrepsB[j].Ir) paths.Add((i, j, irrepsA[i].Ir.Dim, irrepsB[j].Mul));
        if (paths.Count == 0) throw new ArgumentException($"'{irrepsA}' and '{irrepsB}' share no irrep.");
        _paths = paths.ToArray();
        _offsetsA = irrepsA.Offsets();
        _offsetsB = irrepsB.Offsets();
        _norm = 1 / Math.Sqrt(_paths.Sum(p => p.MulB));
        for (int k = 0; k < _paths.Length; k++)
            register_parameter($"weight_{k}", nn.Parameter(torch.randn(Channels, _paths[k].MulB, dtype: dtype)));
    }

    /// C, the number of output scalars.
    public int Channels { get; }

    /// a [N, irrepsA.Dim], b [N, irrepsB.Dim] → [N, C].
    public override Tensor forward(Tensor a, Tensor b)
    {
        using var scope = NewDisposeScope();
        long n = a.shape[0];
        Tensor? s = null;
        for (int k = 0; k < _paths.Length; k++)
        {
            var (i, j, d, mulB) = _paths[k];
            var ai = a.narrow(1, _offsetsA[i], Channels * d).view(n, Channels, d);
            var bj = b.narrow(1, _offsetsB[j], mulB * d).view(n, mulB, d);
            // Σ_v w_uv ⟨a_u, b_v⟩ = ⟨a_u, Σ_v w_uv b_v⟩: the weights mix b first, [N, C, d], instead of forming every inner product
            // [N, C, mulB] (at 10,080 atoms the update's affine form held 3.5 GB of them, docs/benchmarks.md).
            var mixed = get_parameter($"weight_{k}")!.matmul(bj);
            var term = (ai * mixed).sum(2).Times(1 / Math.Sqrt(d));
            s = s is null ? term : s.Plus(term);
        }
        return s!.Times(_norm).MoveToOuterDisposeScope();
    }
}

/// "tp_out": h ⊗ (C x0e) → h with one 'uvu' path per segment of h (docs/math.md, "The fixed-point map"):
/// out_u^(l) = h_u^(l) · Σ_v w^l_uv s_v / √C_s — an invariant, learned gating of every channel.
internal sealed class ScalarGatedProduct : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly Irreps _irreps;
    private readonly int[] _offsets;
    private readonly int _scalars;

    public ScalarGatedProduct(Irreps irreps, int scalars, ScalarType dtype = ScalarType.Float64) : base(nameof(ScalarGatedProduct))
    {
        _irreps = irreps;
        _offsets = irreps.Offsets();
        _scalars = scalars;
        for (int k = 0; k < irreps.Count; k++)
            register_parameter($"weight_{k}", nn.Parameter(torch.randn(irreps[k].Mul, scalars, dtype: dtype)));
    }

    /// h [N, irreps.Dim], s [N, C_s] → [N, irreps.Dim].
    public override Tensor forward(Tensor h, Tensor s)
    {
        using var scope = NewDisposeScope();
        long n = h.shape[0];
        var parts = new Tensor[_irreps.Count];
        for (int k = 0; k < _irreps.Count; k++)
        {
            var (mul, ir) = (_irreps[k].Mul, _irreps[k].Ir);
            var gate = s.matmul(get_parameter($"weight_{k}")!.T).Times(1 / Math.Sqrt(_scalars));
            parts[k] = (h.narrow(1, _offsets[k], mul * ir.Dim).view(n, mul, ir.Dim) * gate.unsqueeze(2)).view(n, mul * ir.Dim);
        }
        return torch.cat(parts, 1).MoveToOuterDisposeScope();
    }
}
