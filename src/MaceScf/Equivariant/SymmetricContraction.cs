using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// MACE's SymmetricContraction: for every output irrep (L,p), channel c and node b with element z_b,
/// B[b,c,M] = Σ_{ν=1..correlation} Σ_k W_ν[z_b, k, c] Σ_a U_ν[M, a₁…a_ν, k] Π_t A[b, c, a_t].
/// The sum over a is evaluated on monomials: U_ν is symmetrised once over the ν input indices into S_ν[M, m, k]
/// (m = multiset a₁ ≤ … ≤ a_ν; only monomials with a non-zero coefficient are kept), so per forward
/// B[b,c,:] = Σ_m mono[b,c,m] · coef[z_b, c, m, :] with coef = S·W (weights only) — one bmm per degree and element present.
/// Parameters mirror MACE: contractions.{j}.weights_max [Z, K_correlation, C] and contractions.{j}.weights.{i}
/// [Z, K_ν, C] for ν = correlation−1−i, initialised N(0,1)/K_ν.
internal sealed class SymmetricContraction : nn.Module<Tensor, Tensor, Tensor>
{
    private readonly ModuleList<Contraction> _contractions;
    private readonly MonomialTable _monomials;
    private readonly int[] _monomialCounts; // per ν = 1..correlation
    private readonly int _channels;

    public Irreps IrrepsIn { get; }

    public Irreps IrrepsOut { get; }

    /// Irreps of the D-vector A[b, c, :] (multiplicity 1 each).
    public Irreps CouplingIrreps { get; }

    public int Correlation { get; }

    public int NumElements { get; }

    /// <param name="irrepsIn">e.g. "128x0e+128x1o+128x2e+128x3o" (all segments with the same multiplicity C)</param>
    /// <param name="irrepsOut">e.g. "128x0e+128x1o" (multiplicities C)</param>
    /// <param name="correlation">ν, the highest body order of the products (MACE's `correlation`)</param>
    /// <param name="numElements">the number of chemical elements, one set of weights each</param>
    /// <param name="dtype">the dtype of the weights</param>
    public SymmetricContraction(Irreps irrepsIn, Irreps irrepsOut, int correlation, int numElements, ScalarType dtype = ScalarType.Float64)
        : base(nameof(SymmetricContraction))
    {
        using var scope = NewDisposeScope();
        _channels = IrrepsLayout.RequireUniform(irrepsIn);
        if (IrrepsLayout.RequireUniform(irrepsOut) != _channels) throw new ArgumentException("Output multiplicities must equal the input's.");
        if (correlation < 1) throw new ArgumentOutOfRangeException(nameof(correlation));
        IrrepsIn = irrepsIn;
        IrrepsOut = irrepsOut;
        Correlation = correlation;
        NumElements = numElements;
        CouplingIrreps = new Irreps(irrepsIn.Segments.Select(s => s.Ir));

        var requested = new int[correlation][][];
        var symmetrised = new double[irrepsOut.Count][][,,];
        for (int j = 0; j < irrepsOut.Count; j++) symmetrised[j] = new double[correlation][,,];
        for (int nu = 1; nu <= correlation; nu++)
        {
            var all = AllMonomials(CouplingIrreps.Dim, nu);
            var full = new double[irrepsOut.Count][,,];
            for (int j = 0; j < irrepsOut.Count; j++)
                full[j] = Symmetrise(UMatrices.Real(CouplingIrreps, irrepsOut[j].Ir, nu), irrepsOut[j].Ir.Dim, nu, CouplingIrreps.Dim, all.Count);
            var used = Enumerable.Range(0, all.Count).Where(m => full.Any(s => AnyNonZero(s, m))).ToArray();
            requested[nu - 1] = used.Select(m => all[m]).ToArray();
            for (int j = 0; j < irrepsOut.Count; j++) symmetrised[j][nu - 1] = Restrict(full[j], used);
        }
        _monomials = new MonomialTable(requested);
        _monomialCounts = requested.Select(r => r.Length).ToArray();
        _contractions = new ModuleList<Contraction>(Enumerable.Range(0, irrepsOut.Count)
            .Select(j => new Contraction(symmetrised[j], irrepsOut[j].Ir.Dim, numElements, _channels, dtype)).ToArray());
        register_module("contractions", _contractions);
    }

    /// Number of distinct monomials of degree ν = 1..correlation with a non-zero coefficient for some output.
    public IReadOnlyList<int> MonomialCounts => _monomialCounts;

    /// Paths K_ν (ν = 1..correlation) of each output irrep.
    public IReadOnlyList<int[]> PathCounts => _contractions.Select(c => c.PathCounts).ToArray();

    /// <param name="x">[N, C, D] (MACE's reshaped A, D = CouplingIrreps.Dim)</param>
    /// <param name="nodeAttrs">[N, Z] one-hot element attributes</param>
    /// <returns>[N, IrrepsOut.Dim] (mul_ir)</returns>
    public override Tensor forward(Tensor x, Tensor nodeAttrs)
    {
        using var scope = NewDisposeScope();
        var (element, elements, coefficients) = Prepare(nodeAttrs);
        return Contract(x, element, elements, coefficients).MoveToOuterDisposeScope();
    }

    /// The element of every node ([N] long), the elements present and the coupling coefficients of the weights for them,
    /// coef[p, c, m, M] ([P, C, nm, ΣM]): everything <see cref="Contract"/> needs besides A, differentiable in the weights.
    public (Tensor Element, long[] Elements, Tensor Coefficients) Prepare(Tensor nodeAttrs)
    {
        using var scope = NewDisposeScope();
        var element = nodeAttrs.argmax(1);
        var present = torch.unique(element).Item1;
        var coef = torch.cat(_contractions.Select(c => c.Coefficients(present)).ToArray(), 3);
        return (element.MoveToOuterDisposeScope(), present.cpu().data<long>().ToArray(), coef.MoveToOuterDisposeScope());
    }

    /// The contraction of A with the coefficients of <see cref="Prepare"/> (of these or more nodes: each node's result depends on
    /// its own A and element only), [N, IrrepsOut.Dim] (mul_ir).
    /// <param name="x">[N, C, D] A of the nodes</param>
    /// <param name="element">[N] long, the element of every node</param>
    /// <param name="elements">the elements the rows of <paramref name="coefficients"/> belong to</param>
    /// <param name="coefficients">[P, C, nm, ΣM] from <see cref="Prepare"/></param>
    public Tensor Contract(Tensor x, Tensor element, long[] elements, Tensor coefficients)
    {
        using var scope = NewDisposeScope();
        long n = x.shape[0];
        int mTotal = IrrepsOut.Segments.Sum(s => s.Ir.Dim);
        var output = torch.zeros(n, _channels, mTotal, dtype: x.dtype, device: x.device);
        using var one = 1.0.ToScalar(); // Scalars held until libtorch returns (docs/design.md, "Scalars")
        for (int p = 0; p < elements.Length; p++)
        {
            using var inner = NewDisposeScope();
            bool all = elements.Length == 1;
            using var species = elements[p].ToScalar();
            var nodes = all ? null : element.eq(species).nonzero().squeeze(1);
            if (nodes is not null && nodes.shape[0] == 0) continue;
            var xp = all ? x : x.index_select(0, nodes!);
            long np = xp.shape[0];
            var rows = xp.permute(2, 1, 0).reshape(xp.shape[2], -1); // [D, C·Np]
            var mono = _monomials.Evaluate(rows);
            Tensor? sum = null;
            long offset = 0;
            for (int nu = 0; nu < mono.Length; nu++)
            {
                // [C, ΣM, nm_ν] · [C, nm_ν, Np] (rows viewed channel-major without a copy)
                var c = coefficients[p].narrow(1, offset, _monomialCounts[nu]).transpose(1, 2);
                var term = c.bmm(mono[nu].view(-1, _channels, np).transpose(0, 1));
                sum = sum is null ? term : sum.Plus(term);
                offset += _monomialCounts[nu];
            }
            var res = sum!.permute(2, 0, 1); // [Np, C, ΣM]
            output = (all ? output.Plus(res) : output.index_add(0, nodes!, res, one)).MoveToOuterDisposeScope();
        }
        return IrrepsLayout.FromChannelMajor(output, IrrepsOut).MoveToOuterDisposeScope();
    }

    private static List<int[]> AllMonomials(int d, int nu)
    {
        var list = new List<int[]>();
        var a = new int[nu];
        void Walk(int pos, int start)
        {
            if (pos == nu) { list.Add((int[])a.Clone()); return; }
            for (int i = start; i < d; i++) { a[pos] = i; Walk(pos + 1, i); }
        }
        Walk(0, 0);
        return list;
    }

    /// S[M, m, k] = Σ_{a: sort(a) = m} U[M, a, k], monomials m in the order of <see cref="AllMonomials"/>.
    private static double[,,] Symmetrise(Tensor u, int mDim, int nu, int d, int nMonomials)
    {
        using var scope = NewDisposeScope();
        long k = u.shape[^1];
        var flat = u.contiguous().data<double>().ToArray();
        var s = new double[mDim, nMonomials, k];
        long tuples = (long)Math.Pow(d, nu);
        var index = MonomialIndex(d, nu);
        for (int mm = 0; mm < mDim; mm++)
        for (long t = 0; t < tuples; t++)
        {
            int m = index[t];
            long baseOffset = (mm * tuples + t) * k;
            for (int kk = 0; kk < k; kk++) s[mm, m, kk] += flat[baseOffset + kk];
        }
        return s;
    }

    /// Index of the sorted multiset of every tuple a ∈ [0,d)^ν (row-major), matching <see cref="AllMonomials"/>.
    private static int[] MonomialIndex(int d, int nu)
    {
        var lookup = new Dictionary<string, int>();
        var all = AllMonomials(d, nu);
        for (int i = 0; i < all.Count; i++) lookup[string.Join(',', all[i])] = i;
        long tuples = (long)Math.Pow(d, nu);
        var index = new int[tuples];
        var a = new int[nu];
        for (long t = 0; t < tuples; t++)
        {
            long r = t;
            for (int p = nu - 1; p >= 0; p--) { a[p] = (int)(r % d); r /= d; }
            index[t] = lookup[string.Join(',', a.Order())];
        }
        return index;
    }

    private static bool AnyNonZero(double[,,] s, int m)
    {
        for (int i = 0; i < s.GetLength(0); i++)
        for (int k = 0; k < s.GetLength(2); k++)
            if (Math.Abs(s[i, m, k]) > 1e-12) return true;
        return false;
    }

    private static double[,,] Restrict(double[,,] s, int[] used)
    {
        var r = new double[s.GetLength(0), used.Length, s.GetLength(2)];
        for (int i = 0; i < s.GetLength(0); i++)
        for (int m = 0; m < used.Length; m++)
        for (int k = 0; k < s.GetLength(2); k++)
            r[i, m, k] = s[i, used[m], k];
        return r;
    }
}

/// The weights and symmetrised coupling coefficients of one output irrep of <see cref="SymmetricContraction"/>.
internal sealed class Contraction : nn.Module
{
    private readonly CachedConstant[] _coupling; // per ν: [K_ν, nm_ν · M]
    private readonly int[] _monomialCounts;
    private readonly int _mDim;

    internal Contraction(double[][,,] symmetrised, int mDim, int numElements, int channels, ScalarType dtype) : base(nameof(Contraction))
    {
        using var scope = NewDisposeScope();
        _mDim = mDim;
        int correlation = symmetrised.Length;
        PathCounts = symmetrised.Select(s => s.GetLength(2)).ToArray();
        _monomialCounts = symmetrised.Select(s => s.GetLength(1)).ToArray();
        _coupling = symmetrised.Select(s =>
        {
            int nm = s.GetLength(1), k = s.GetLength(2);
            var flat = new double[k * nm * mDim];
            for (int kk = 0; kk < k; kk++)
            for (int m = 0; m < nm; m++)
            for (int mm = 0; mm < mDim; mm++)
                flat[(kk * nm + m) * mDim + mm] = s[mm, m, kk];
            return new CachedConstant(torch.tensor(flat, new long[] { k, (long)nm * mDim }, dtype: ScalarType.Float64));
        }).ToArray();
        Parameter Init(int nu) => NormalParameter.Create([numElements, PathCounts[nu - 1], channels], dtype, 1.0 / PathCounts[nu - 1]);
        register_parameter("weights_max", Init(correlation));
        register_module("weights", new ParameterList(Enumerable.Range(0, correlation - 1).Select(i => Init(correlation - 1 - i)).ToArray()));
    }

    /// K_ν for ν = 1..correlation.
    public int[] PathCounts { get; }

    /// W_ν [Z, K_ν, C].
    public Tensor Weights(int nu) => nu == PathCounts.Length
        ? get_parameter("weights_max")!
        : ((ParameterList)named_children().First(c => c.name == "weights").module)[PathCounts.Length - 1 - nu];

    /// coef[p, c, m, M] = Σ_k S_ν[M, m, k] W_ν[element_p, k, c], monomials of all ν concatenated → [P, C, nm, M].
    internal Tensor Coefficients(Tensor elements)
    {
        var parts = new Tensor[PathCounts.Length];
        for (int nu = 1; nu <= PathCounts.Length; nu++)
        {
            var w = Weights(nu).index_select(0, elements); // [P, K, C]
            var c = w.transpose(1, 2).matmul(_coupling[nu - 1].For(w)); // [P, C, nm·M]
            parts[nu - 1] = c.view(c.shape[0], c.shape[1], _monomialCounts[nu - 1], _mDim);
        }
        return torch.cat(parts, 2);
    }
}
