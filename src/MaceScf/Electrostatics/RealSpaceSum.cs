using static TorchSharp.torch;
using TorchSharp;

namespace MaceScf.Electrostatics;

/// Open-boundary Coulomb interaction of Gaussian charges and dipoles (L ≤ 1, features Lf ≤ 1)
/// by analytic pair terms (docs/math.md, "Real-space sums"; differs from Python's displaced charges, see docs/compatibility.md).
/// Two Gaussians of widths σ and σ' interact through h(R) = k_e erf(R/√(2s²))/R, s² = σ² + σ'²;
/// a dipole acts as d·∇ on its centre, so all terms follow from h, D1 = h'/R and D2 = (D1)'/R
/// (∇∇h = D1 I + D2 x xᵀ). Energies, potentials and features include each atom's own Gaussian.
///
/// The pairs are taken in blocks of consecutive receivers (<see cref="RealSpacePairBlock"/>), so the
/// time is O(N²) and the memory O(N + block) (docs/errors.md, "Memory"). Small structures (at most
/// <see cref="CachedPairLimit"/> pairs, <see cref="CachedPairLimitWithGradients"/> when positions require grad)
/// keep their blocks for the many densities of an SCF loop; larger ones rebuild each block at every evaluation,
/// and with gradients inside a <see cref="RecomputedBlocks"/> node whose backward pass rebuilds them again instead of
/// keeping every block's graph. Results are differentiable in p and the positions to any order.
sealed class RealSpaceSum : IDisposable
{
    /// Atoms closer than this (Å) are refused: h, D1 and D2 are 0/0 at R = 0 and lose all precision just above it.
    public const double MinimumSeparation = 1e-3;

    /// Ordered pairs i ≠ j of one block (about 2 MB per pair-sized float64 tensor).
    public const long DefaultPairsPerBlock = 1 << 18;

    /// Structures with at most this many ordered pairs keep their blocks (about 140 bytes per pair).
    public const long CachedPairLimit = 1 << 20;

    /// The same when the positions require grad: a kept block's graph is kept by every evaluation (about 2.6 kB per pair).
    public const long CachedPairLimitWithGradients = 1 << 16;

    readonly ElectrostaticsOptions _options;
    readonly FieldFeatureLayout _layout;
    readonly int _atomCount;
    readonly Tensor _positions;
    readonly long _receiversPerBlock;
    readonly double[] _kernelWidths;                    // energy, point, then one per feature width
    readonly RealSpacePairBlock[]? _cached;
    readonly Tensor _selfFeatures;                      // [C, F]

    /// <param name="options">the electrostatics settings (smearing, density and feature orders)</param>
    /// <param name="layout">the field features' columns and widths</param>
    /// <param name="positions">[n, 3] the structure's positions (Å); an alias is kept</param>
    /// <param name="pairsPerBlock">ordered pairs per block (tests use tiny blocks)</param>
    /// <param name="cachedPairLimit">keep the blocks when the structure has at most this many pairs</param>
    public RealSpaceSum(ElectrostaticsOptions options, FieldFeatureLayout layout, Tensor positions,
        long pairsPerBlock = DefaultPairsPerBlock, long cachedPairLimit = CachedPairLimit)
    {
        if (options.DensityMaxL > 1 || options.FieldFeatureMaxL > 1)
            throw new ArgumentException("the realspace method supports densities and field features up to l = 1");
        _options = options;
        _layout = layout;
        _atomCount = (int)positions.shape[0];
        _positions = positions.alias().DetachFromDisposeScope();
        _receiversPerBlock = Math.Max(1, pairsPerBlock / Math.Max(1, _atomCount - 1));
        double sigma = options.SmearingWidth;
        _kernelWidths = [Math.Sqrt(2) * sigma, sigma, .. layout.Widths.Select(w => Math.Sqrt(sigma * sigma + w * w))];
        using (var scope = NewDisposeScope())
        {
            _selfFeatures = layout.SelfInteractionMatrix(sigma, options.DensityMaxL, positions.dtype, positions.device).DetachFromDisposeScope();
        }
        long pairs = (long)_atomCount * Math.Max(0, _atomCount - 1);
        if (pairs <= cachedPairLimit)
        {
            _cached = BlockStarts().Select(start => Block(_positions, start, AllKernels)).ToArray();
        }
        else
        {
            // Checked once up front, as the cached blocks are: the refusal names the atoms before any work.
            foreach (long start in BlockStarts())
            {
                using var block = Block(_positions, start, []);
            }
        }
    }

    int[] AllKernels => Enumerable.Range(0, _kernelWidths.Length).ToArray();

    IEnumerable<long> BlockStarts()
    {
        for (long start = 0; start < _atomCount; start += _receiversPerBlock) yield return start;
    }

    RealSpacePairBlock Block(Tensor positions, long start, int[] kernels)
    {
        var block = new RealSpacePairBlock(positions, start, Math.Min(_receiversPerBlock, _atomCount - start), _kernelWidths, kernels);
        block.RefuseOverlaps(MinimumSeparation);
        return block;
    }

    /// Evaluates <paramref name="term"/> (a function of a block and the coefficients p) on every block and concatenates the
    /// per-block results along the receivers; null without atoms. Kept blocks are used as they are. Otherwise each block
    /// is rebuilt with the kernels it needs and freed before the next; when gradients are wanted that happens inside one
    /// <see cref="RecomputedBlocks"/> node, whose backward pass rebuilds the blocks again, so that no graph of pair-sized
    /// tensors outlives its block.
    Tensor? OverBlocks(Tensor p, int[] kernels, Func<RealSpacePairBlock, Tensor, Tensor> term)
    {
        if (_atomCount == 0) return null;
        if (_cached is not null) return cat(_cached.Select(block => term(block, p)).ToArray(), 0);
        var starts = BlockStarts().ToArray();
        var terms = new BlockTerms(starts.Length, Concatenated: true, (b, inputs, _) =>
        {
            using var block = Block(inputs[1], starts[b], kernels);
            return term(block, inputs[0]);
        });
        if (is_grad_enabled() && (p.requires_grad || _positions.requires_grad)) return RecomputedBlocks.Of(terms, p, _positions);
        return terms.Combine([p, _positions], new long[starts.Length]);
    }

    (Tensor Charge, Tensor Dipole) Split(Tensor p) =>
        (p[.., 0], p.shape[1] > 1 ? CartesianDipoles(p) : zeros(p.shape[0], 3, dtype: p.dtype, device: p.device));

    internal static Tensor CartesianDipoles(Tensor p)
    {
        using var order = tensor(new long[] { 3, 1, 2 }, device: p.device);
        return p.index_select(1, order);
    }

    /// ½ Σ_{i≠j} (q_i + d_i·∇_i)(q_j + d_j·∇_j) h + ½ Σ_i Σ_lm c^E_l p_ilm².
    public Tensor Energy(Tensor p)
    {
        var blocks = OverBlocks(p, [0], (block, coefficients) =>
        {
            var (q, d) = Split(coefficients);
            var (h, d1, d2) = block.Kernel(0);
            var x = block.Separation;
            var qi = q.index_select(0, block.Receiver);
            var qj = q.index_select(0, block.Source);
            var di = d.index_select(0, block.Receiver);
            var dj = d.index_select(0, block.Source);
            var dix = (di * x).sum(1);
            var djx = (dj * x).sum(1);
            return ((qi * qj * h).Plus(d1 * (qj * dix - qi * djx)) - d1 * (di * dj).sum(1) - d2 * dix * djx).sum().unsqueeze(0);
        });
        var self = SelfEnergy(p, _options);
        return blocks is not null ? blocks.sum().Times(0.5).Plus(self) : self;
    }

    /// ½ Σ_i Σ_lm c^E_l p_ilm² (docs/math.md, "Self-interaction").
    internal static Tensor SelfEnergy(Tensor p, ElectrostaticsOptions options)
    {
        var constants = SolidHarmonics.DegreeOfColumn(options.DensityMaxL)
            .Select(l => GaussianMultipoleBasis.EnergySelfInteraction(l, options.SmearingWidth)).ToArray();
        using var c = tensor(constants, dtype: p.dtype, device: p.device);
        return (p.Squared() * c).sum().Times(0.5);
    }

    /// Potential at each atom of all Gaussians (own included), [n].
    public Tensor Potential(Tensor p)
    {
        var blocks = OverBlocks(p, [1], (block, coefficients) =>
        {
            var (q, d) = Split(coefficients);
            var (h, d1, _) = block.Kernel(1);
            var dj = d.index_select(0, block.Source);
            var pair = q.index_select(0, block.Source) * h - d1 * (dj * block.Separation).sum(1);
            using var one = 1.0.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
            return zeros(block.Count, dtype: coefficients.dtype, device: coefficients.device).index_add(0, block.LocalReceiver, pair, one);
        });
        double own = CoulombConstants.CoulombConstant * Math.Sqrt(2 / Math.PI) / _options.SmearingWidth;
        var q = p[.., 0];
        return (blocks ?? zeros_like(q)).Plus(q.Times(own));
    }

    /// Receiver projections, [n, F]: l=0 → 2√π Ṽ(r_i), l=1 → (√6π/2) σf ∇Ṽ(r_i) in (y,z,x),
    /// with Ṽ the potential smoothed by the receiver Gaussian (docs/math.md, "Field features").
    public Tensor Features(Tensor p)
    {
        int widths = _layout.Widths.Length;
        var blocks = OverBlocks(p, Enumerable.Range(2, widths).ToArray(), (block, coefficients) =>
        {
            var (q, d) = Split(coefficients);
            using var yzx = tensor(new long[] { 1, 2, 0 }, device: coefficients.device);
            var x = block.Separation;
            var qj = q.index_select(0, block.Source);
            var dj = d.index_select(0, block.Source);
            var djx = (dj * x).sum(1, keepdim: true);
            using var one = 1.0.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
            var perWidth = new List<Tensor>();
            for (int w = 0; w < widths; w++)
            {
                var (h, d1, d2) = block.Kernel(2 + w);
                var columns = new List<Tensor>();
                var value = qj * h - d1 * djx.squeeze(1);
                var atValue = zeros(block.Count, dtype: coefficients.dtype, device: coefficients.device).index_add(0, block.LocalReceiver, value, one);
                columns.Add(atValue.unsqueeze(1).Times(2 * Math.Sqrt(Math.PI)));
                if (_layout.MaxL >= 1)
                {
                    var gradient = (qj * d1).unsqueeze(1) * x - d1.unsqueeze(1) * dj - (d2.unsqueeze(1) * djx) * x;
                    var atGradient = zeros(block.Count, 3, dtype: coefficients.dtype, device: coefficients.device).index_add(0, block.LocalReceiver, gradient, one);
                    columns.Add(atGradient.index_select(1, yzx).Times(Math.Sqrt(6) * Math.PI * _layout.Widths[w] / 2));
                }
                perWidth.Add(cat(columns, 1));
            }
            return _layout.ToOutputLayout(stack(perWidth, 1));
        });
        var self = p.matmul(_selfFeatures);
        return blocks is not null ? blocks.Plus(self) : self;
    }

    public void Dispose()
    {
        if (_cached is not null) foreach (var block in _cached) block.Dispose();
        _positions.Dispose();
        _selfFeatures.Dispose();
    }
}
