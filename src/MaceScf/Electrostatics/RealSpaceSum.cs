using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Open-boundary Coulomb interaction of Gaussian charges and dipoles (L ≤ 1, features Lf ≤ 1)
/// by analytic pair terms (notes §2.8; differs from Python's displaced charges, see
/// docs/compatibility.md). Two Gaussians of widths σ and σ' interact through
/// h(R) = k_e erf(R/√(2s²))/R, s² = σ² + σ'²; a dipole acts as d·∇ on its centre, so all terms
/// follow from h, D1 = h'/R and D2 = (D1)'/R (∇∇h = D1 I + D2 x xᵀ).
/// Energies, potentials and features include each atom's own Gaussian (closed forms, §2.6).
sealed class RealSpaceSum : IDisposable
{
    /// Atoms closer than this (Å) are refused: h, D1 and D2 are 0/0 at R = 0 and lose all precision just above it.
    public const double MinimumSeparation = 1e-3;

    sealed record PairKernel(Tensor H, Tensor D1, Tensor D2) : IDisposable
    {
        public void Dispose() { H.Dispose(); D1.Dispose(); D2.Dispose(); }
    }

    readonly ElectrostaticsOptions _options;
    readonly FieldFeatureLayout _layout;
    readonly int _atomCount;
    readonly Tensor _receiver, _source, _separation;   // pairs i ≠ j: x = r_i − r_j
    readonly PairKernel _energyKernel, _pointKernel;
    readonly PairKernel[] _featureKernels;
    readonly Tensor _selfFeatures;                      // [C, F]

    public RealSpaceSum(ElectrostaticsOptions options, FieldFeatureLayout layout, Tensor positions)
    {
        if (options.DensityMaxL > 1 || options.FieldFeatureMaxL > 1)
            throw new ArgumentException("the realspace method supports densities and field features up to l = 1");
        _options = options;
        _layout = layout;
        _atomCount = (int)positions.shape[0];
        using var scope = NewDisposeScope();
        var pairs = (ones(_atomCount, _atomCount, dtype: @bool) ^ eye(_atomCount, dtype: @bool)).nonzero();
        _receiver = pairs[.., 0].contiguous();
        _source = pairs[.., 1].contiguous();
        _separation = positions.index_select(0, _receiver) - positions.index_select(0, _source);
        var distance = _separation.norm(1);
        RefuseOverlaps(distance);
        double sigma = options.SmearingWidth;
        _energyKernel = Kernel(distance, Math.Sqrt(2) * sigma);
        _pointKernel = Kernel(distance, sigma);
        _featureKernels = layout.Widths.Select(w => Kernel(distance, Math.Sqrt(sigma * sigma + w * w))).ToArray();
        _selfFeatures = layout.SelfInteractionMatrix(sigma, options.DensityMaxL, positions.dtype, positions.device);
        foreach (var t in Owned()) t.DetachFromDisposeScope();
    }

    /// A clear error instead of NaN energies for coincident (e.g. duplicated) atoms.
    void RefuseOverlaps(Tensor distance)
    {
        if (distance.numel() == 0) return;
        using var noGrad = no_grad();
        long closest = distance.argmin().item<long>();
        double d = distance[closest].to_type(ScalarType.Float64).item<double>();
        if (d >= MinimumSeparation) return;
        throw new StructureGeometryException(
            $"realspace electrostatics: atoms {_receiver[closest].item<long>()} and {_source[closest].item<long>()} are {d:G3} Å apart "
            + $"(closer than {MinimumSeparation} Å: duplicated atoms?); the Gaussian pair terms are undefined there");
    }

    /// Kernel of two Gaussians whose widths add to s² (h = k_e erf(R/c)/R, c = √2 s).
    static PairKernel Kernel(Tensor r, double s)
    {
        double c = Math.Sqrt(2) * s;
        var e = (r / c).erf();
        var g = (-(r / c).square()).exp() * (2 / (Math.Sqrt(Math.PI) * c));
        var r2 = r.square();
        var r3 = r2 * r;
        double ke = CoulombConstants.CoulombConstant;
        var h = ke * e / r;
        var d1 = ke * (g / r2 - e / r3);
        var d2 = ke * (-2 * g / (c * c) - 3 * g / r2 + 3 * e / r3) / r2;
        return new PairKernel(h, d1, d2);
    }

    IEnumerable<Tensor> Owned() =>
        new[] { _receiver, _source, _separation, _selfFeatures }
            .Concat(new[] { _energyKernel, _pointKernel }.Concat(_featureKernels).SelectMany(k => new[] { k.H, k.D1, k.D2 }));

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
        var (q, d) = Split(p);
        var (h, d1, d2) = _energyKernel;
        var qi = q.index_select(0, _receiver);
        var qj = q.index_select(0, _source);
        var di = d.index_select(0, _receiver);
        var dj = d.index_select(0, _source);
        var dix = (di * _separation).sum(1);
        var djx = (dj * _separation).sum(1);
        var pair = qi * qj * h + d1 * (qj * dix - qi * djx) - d1 * (di * dj).sum(1) - d2 * dix * djx;
        return 0.5 * pair.sum() + SelfEnergy(p, _options);
    }

    /// ½ Σ_i Σ_lm c^E_l p_ilm² (notes §2.6).
    internal static Tensor SelfEnergy(Tensor p, ElectrostaticsOptions options)
    {
        var constants = SolidHarmonics.DegreeOfColumn(options.DensityMaxL)
            .Select(l => GaussianMultipoleBasis.EnergySelfInteraction(l, options.SmearingWidth)).ToArray();
        using var c = tensor(constants, dtype: p.dtype, device: p.device);
        return 0.5 * (p.square() * c).sum();
    }

    /// Potential at each atom of all Gaussians (own included), [n].
    public Tensor Potential(Tensor p)
    {
        var (q, d) = Split(p);
        var (h, d1, _) = _pointKernel;
        var dj = d.index_select(0, _source);
        var pair = q.index_select(0, _source) * h - d1 * (dj * _separation).sum(1);
        double own = CoulombConstants.CoulombConstant * Math.Sqrt(2 / Math.PI) / _options.SmearingWidth;
        return zeros_like(q).index_add(0, _receiver, pair, 1.0) + own * q;
    }

    /// Receiver projections, [n, F]: l=0 → 2√π Ṽ(r_i), l=1 → (√6π/2) σf ∇Ṽ(r_i) in (y,z,x),
    /// with Ṽ the potential smoothed by the receiver Gaussian (notes §2.2).
    public Tensor Features(Tensor p)
    {
        var (q, d) = Split(p);
        var qj = q.index_select(0, _source);
        var dj = d.index_select(0, _source);
        var djx = (dj * _separation).sum(1, keepdim: true);
        using var yzx = tensor(new long[] { 1, 2, 0 }, device: p.device);
        var perWidth = new List<Tensor>();
        for (int w = 0; w < _layout.Widths.Length; w++)
        {
            var (h, d1, d2) = _featureKernels[w];
            var columns = new List<Tensor>();
            var value = qj * h - d1 * djx.squeeze(1);
            columns.Add(2 * Math.Sqrt(Math.PI) * zeros_like(q).index_add(0, _receiver, value, 1.0).unsqueeze(1));
            if (_layout.MaxL >= 1)
            {
                var gradient = (qj * d1).unsqueeze(1) * _separation - d1.unsqueeze(1) * dj - (d2.unsqueeze(1) * djx) * _separation;
                var atGradient = zeros(_atomCount, 3, dtype: p.dtype, device: p.device).index_add(0, _receiver, gradient, 1.0);
                columns.Add(Math.Sqrt(6) * Math.PI * _layout.Widths[w] / 2 * atGradient.index_select(1, yzx));
            }
            perWidth.Add(cat(columns, 1));
        }
        return _layout.ToOutputLayout(stack(perWidth, 1)) + p.matmul(_selfFeatures);
    }

    public void Dispose()
    {
        foreach (var t in Owned()) t.Dispose();
    }
}
