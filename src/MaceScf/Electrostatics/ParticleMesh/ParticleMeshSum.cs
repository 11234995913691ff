using static TorchSharp.torch;
using TorchSharp;

namespace MaceScf.Electrostatics;

/// Smooth particle-mesh Ewald for the reciprocal-space sum of Gaussian multipoles (docs/electrostatics.md).
/// Each density coefficient channel is spread on a K₁×K₂×K₃ grid with B-splines and Fourier
/// transformed; the exact Fourier transforms of the Gaussian multipoles and receivers (the same as
/// in <see cref="ReciprocalSpaceSum"/>) are applied on the grid wave vectors, and the B-spline
/// factor 1/|b(m)|² corrects the interpolation. The kernels are built once per geometry (a few values per grid point);
/// while positions or cell are differentiated the stencil weights are rebuilt in blocks of atoms at every use and never
/// kept, so memory is O(N + grid); at a fixed geometry they are kept (<see cref="BSplineStencil"/>). Differentiable in p,
/// positions and cell, to every order.
sealed class ParticleMeshSum : IReciprocalSum
{
    readonly long[] _grid;
    readonly BSplineStencil _stencil;
    readonly Tensor _positions, _cell; // the geometry the stencil is rebuilt from at every spreading and interpolation
    readonly Tensor _harmonics;      // [H, M] solid harmonics |k|^l Y_lm(k̂), H = (max(L, Lf)+1)²
    readonly Tensor _gaussians;      // [1+S, M] e^{−k²σ²/2} of the density, then of each receiver width
    readonly Tensor _kernel;         // [M] G(k) = 1/(Ωε0 k² |b(m)|²); 0 at k = 0 and on Nyquist planes
    readonly Tensor _multiplicity;   // [K₃/2+1] ½ on the plane m₃ = 0, 1 beyond (those wave vectors stand for a ±k pair)
    readonly Tensor _sourceConstant;   // [C] complex (−i)^l 4π√(π/2) σ^{2l+3}/C_l
    readonly Tensor _receiverConstant; // [F] complex conj((−i)^l) 4π√(π/2) w^{2l+3}/C_l
    readonly Tensor _receiverHarmonic, _receiverWidth; // [F] rows of _harmonics and _gaussians of each feature

    public ParticleMeshSum(ElectrostaticsOptions options, FieldFeatureLayout layout, Tensor positions, Tensor cell, MeshParameters mesh)
    {
        using var scope = NewDisposeScope();
        Mesh = mesh;
        _grid = GridShape(cell, mesh);
        _stencil = new BSplineStencil(_grid, mesh.Order, positions.shape[0], atomOrder: BSplineStencil.SpatialOrder(_grid, positions, cell));
        _positions = positions.alias();
        _cell = cell.alias();
        var dtype = positions.dtype;
        var device = positions.device;
        long half = _grid[2] / 2 + 1;

        // Every grid-sized tensor is built from per-axis vectors by broadcasting ([K₁,1,1], [1,K₂,1], [1,1,K₃/2+1]), one at a
        // time: no [M, 3] wave-vector table and no grid-sized managed array is made (docs/benchmarks.md, "Particle-mesh Ewald").
        var axes = new[] { _grid[0], _grid[1], half };
        Tensor Axis(int d, double[] values) =>
            tensor(values, dtype: dtype, device: device).view(d == 0 ? -1 : 1, d == 1 ? -1 : 1, d == 2 ? -1 : 1);
        var m = Enumerable.Range(0, 3).Select(d => Axis(d, WaveNumbers(_grid[d], d == 2))).ToArray();
        KVectorCount = (int)(axes[0] * axes[1] * axes[2]);
        var b = ReciprocalLattice.Vectors(cell);
        var k = Enumerable.Range(0, 3).Select(x => (m[0] * b[0, x]).Plus(m[1] * b[1, x]).Plus(m[2] * b[2, x]).reshape(-1)).ToArray();
        using Scalar one = 1.0.ToScalar(), zero = 0.0.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var k2 = k[0].Squared().Plus(k[1].Squared()).Plus(k[2].Squared()).index_fill(0, Origin(device), one);

        // 1/|b(m)|² per axis, zero on the Nyquist plane of an even K (its ±k partner is not on the grid); k = 0 left out.
        var factor = Enumerable.Range(0, 3).Select(d =>
        {
            var valid = Valid(_grid[d], d == 2);
            return Axis(d, BSplineFactor(mesh.Order, _grid[d], axes[d]).Select((f, i) => valid[i] ? f : 0.0).ToArray());
        }).ToArray();
        var volume = linalg.det(cell);
        _kernel = (((factor[0] * factor[1] * factor[2]).reshape(-1) / k2).Times(CoulombConstants.FieldConstant) / volume).index_fill(0, Origin(device), zero);
        _multiplicity = Axis(2, Enumerable.Range(0, (int)half).Select(i => i > 0 ? 1.0 : 0.5).ToArray()).reshape(-1);

        var columns = SolidHarmonics.Columns(k[0], k[1], k[2], Math.Max(options.DensityMaxL, layout.MaxL));
        _harmonics = stack(columns, 0);
        foreach (var t in columns.Concat(k)) t.Dispose();
        _gaussians = stack(layout.Widths.Prepend(options.SmearingWidth).Select(w => k2.Times(-0.5 * w * w).exp()).ToArray(), 0);

        int channels = options.DensityCoefficientCount;
        var degree = SolidHarmonics.DegreeOfColumn(options.DensityMaxL);
        _sourceConstant = PhasedConstants(Enumerable.Range(0, channels).Select(c =>
            (degree[c], Radial(degree[c], options.SmearingWidth, GaussianMultipoleBasis.MultipoleNormalisation))), conjugate: false, dtype, device);
        var featureDegree = layout.DegreeOfOutput;
        var featureWidth = layout.WidthOfOutput;
        var featureHarmonic = layout.HarmonicOfOutput;
        _receiverConstant = PhasedConstants(Enumerable.Range(0, layout.Count).Select(f =>
            (featureDegree[f], Radial(featureDegree[f], layout.Widths[featureWidth[f]], GaussianMultipoleBasis.ReceiverNormalisation))), conjugate: true, dtype, device);
        _receiverHarmonic = tensor(featureHarmonic.Select(h => (long)h).ToArray(), device: device);
        _receiverWidth = tensor(featureWidth.Select(w => w + 1L).ToArray(), device: device);

        foreach (var t in Owned()) t.DetachFromDisposeScope();
    }

    public MeshParameters Mesh { get; }

    /// Grid points along the three lattice vectors.
    public IReadOnlyList<long> Grid => _grid;

    public int KVectorCount { get; }

    /// S(k) = Σ_c φ̃_c(k) FFT[Q_c](k), [M] complex (the B-spline factor lives in the kernel); the channels are spread
    /// together (they share the stencil) and transformed together.
    Tensor StructureFactor(Tensor p)
    {
        using var scope = NewDisposeScope();
        return (Spectra(_stencil.Spread(p, _positions, _cell), _grid) * SourceFactors(p.shape[1])).sum(dim: 0).MoveToOuterDisposeScope();
    }

    public Tensor Energy(Tensor p)
    {
        using var scope = NewDisposeScope();
        var s = StructureFactor(p);
        var density = (_kernel * s.real.Squared().Plus(s.imag.Squared())).view(_grid[0] * _grid[1], -1).sum(dim: 0);
        return (density * _multiplicity).sum().MoveToOuterDisposeScope();
    }

    /// Φ_f(k) = G(k) S(k) conj(ψ̃_f(k)) for every feature f, interpolated at the atoms, [n, F] (the features share the stencil).
    /// At a fixed geometry with a kept stencil through the explicit <see cref="MeshOperator"/>, whose vector–Jacobian products in p
    /// are its explicit transpose (<see cref="MeshProduct"/>); otherwise differentiable in p, positions and cell by autograd.
    public Tensor Features(Tensor p)
    {
        using var scope = NewDisposeScope();
        if (FixedOperator(p.shape[1]) is { } op)
            return (p.requires_grad && is_grad_enabled() ? MeshProduct.Of(op, false, p) : op.Apply(p, false)).MoveToOuterDisposeScope();
        var spectra = FeatureSpectra(Spectra(_stencil.Spread(p, _positions, _cell), _grid), SourceFactors(p.shape[1]), ReceiverFactors());
        return _stencil.Interpolate(GridValues(spectra, _grid), _positions, _cell).MoveToOuterDisposeScope();
    }

    public Tensor Potential(Tensor p)
    {
        using var scope = NewDisposeScope();
        return _stencil.Interpolate(GridValues((_kernel * StructureFactor(p)).unsqueeze(0), _grid), _positions, _cell).squeeze(1).MoveToOuterDisposeScope();
    }

    /// The explicit operator of the field features of <paramref name="channels"/> density channels at a fixed geometry (positions
    /// and cell not differentiated) whose stencil is kept; null otherwise.
    internal MeshOperator? FixedOperator(long channels)
    {
        if (is_grad_enabled() && (_positions.requires_grad || _cell.requires_grad)) return null;
        return _stencil.KeptBlocks(_positions, _cell) is { } kept
            ? new MeshOperator(_grid, SourceFactors(channels), ReceiverFactors(), kept.Blocks, kept.InverseOrder)
            : null;
    }

    /// φ_c(k) [C, M] complex: the Fourier factors of the density channels, e^{−k²σ²/2} |k|^l Y_lm (−i)^l 4π√(π/2) σ^{2l+3}/C_l.
    Tensor SourceFactors(long channels) => _harmonics.narrow(0, 0, channels) * _sourceConstant.unsqueeze(1) * _gaussians[0];

    /// ψ_f(k) [F, M] complex: G(k) conj(ψ̃_f(k)), the kernel times the receivers' conjugated Fourier factors.
    Tensor ReceiverFactors() =>
        _harmonics.index_select(0, _receiverHarmonic) * _gaussians.index_select(0, _receiverWidth) * _receiverConstant.unsqueeze(1) * _kernel;

    /// Half spectra [count, M] of real grids [count, K₁K₂K₃] (unnormalised).
    internal static Tensor Spectra(Tensor grids, long[] grid)
    {
        long count = grids.shape[0];
        return fft.rfftn(grids.view(count, grid[0], grid[1], grid[2]), dim: [1, 2, 3]).view(count, -1);
    }

    /// Φ_f = ψ_f Σ_c φ_c Q̂_c [F, M] of the density channels' spectra Q̂ [C, M].
    internal static Tensor FeatureSpectra(Tensor spectra, Tensor sources, Tensor receivers) => receivers * (spectra * sources).sum(dim: 0);

    /// P_c = conj(φ_c) Σ_f conj(ψ_f) Ĝ_f [C, M] of the feature channels' spectra Ĝ [F, M]: the transpose of <see cref="FeatureSpectra"/>
    /// between real grids (<see cref="MeshOperator"/>).
    internal static Tensor TransposedSpectra(Tensor spectra, Tensor sources, Tensor receivers) =>
        sources.conj() * (spectra * receivers.conj()).sum(dim: 0);

    /// Σ_full X(k) e^{ik·g} of Hermitian half spectra X [count, M] at the grid points, [count, K₁K₂K₃].
    internal static Tensor GridValues(Tensor spectra, long[] grid)
    {
        long count = spectra.shape[0];
        return fft.irfftn(spectra.view(count, grid[0], grid[1], grid[2] / 2 + 1), s: grid, dim: [1, 2, 3], norm: FFTNormType.Forward).view(count, -1);
    }

    /// 4π√(π/2) w^{2l+3}/C_l: the Fourier magnitude of a basis function over |k|^l Y_lm e^{−k²w²/2}.
    static double Radial(int l, double width, Func<int, double, double> normalisation) =>
        4 * Math.PI * Math.Sqrt(Math.PI / 2) * Math.Pow(width, 2 * l + 3) / normalisation(l, width);

    /// [count] complex: each constant times (−i)^l, or times i^l when conjugated.
    static Tensor PhasedConstants(IEnumerable<(int L, double Value)> constants, bool conjugate, ScalarType dtype, Device device)
    {
        var list = constants.ToArray();
        var re = list.Select(c => (c.L % 4) switch { 0 => c.Value, 2 => -c.Value, _ => 0.0 }).ToArray();
        var im = list.Select(c => (c.L % 4) switch { 1 => -c.Value, 3 => c.Value, _ => 0.0 } * (conjugate ? -1 : 1)).ToArray();
        return complex(tensor(re, dtype: dtype, device: device), tensor(im, dtype: dtype, device: device));
    }

    /// K_d = the smallest 2,3,5-smooth integer ≥ max(|a_d|/h, order).
    internal static long[] GridShape(Tensor cell, MeshParameters mesh)
    {
        var lengths = cell.detach().to(float64).norm(1).data<double>().ToArray();
        return lengths.Select(a => SmoothAtLeast((long)Math.Max(Math.Ceiling(a / mesh.Spacing - 1e-9), mesh.Order))).ToArray();
    }

    static long SmoothAtLeast(long n)
    {
        for (long k = n; ; k++)
        {
            long r = k;
            foreach (long f in new long[] { 2, 3, 5 }) while (r % f == 0) r /= f;
            if (r == 1) return k;
        }
    }

    /// FFT order of wave numbers: 0..⌈K/2⌉−1, −⌊K/2⌋..−1; the half spectrum keeps 0..⌊K/2⌋.
    static double[] WaveNumbers(long k, bool halfSpectrum) => halfSpectrum
        ? Enumerable.Range(0, (int)(k / 2 + 1)).Select(i => (double)i).ToArray()
        : Enumerable.Range(0, (int)k).Select(i => (double)(i < (k + 1) / 2 ? i : i - k)).ToArray();

    /// False on the Nyquist plane of an even K, whose ±k partner is not on the grid.
    static bool[] Valid(long k, bool halfSpectrum) =>
        WaveNumbers(k, halfSpectrum).Select(m => !(k % 2 == 0 && Math.Abs(m) == k / 2)).ToArray();

    /// Index of the wave vector k = 0 in the flattened half spectrum.
    static Tensor Origin(Device device) => zeros(1, dtype: int64, device: device);

    /// 1/|b(m)|² along one direction for FFT indices 0..count−1: 1/|Σ_{j=1}^{n−1} M_n(j) e^{2πimj/K}|²
    /// (0 where it vanishes, which only happens on the masked Nyquist plane).
    static double[] BSplineFactor(int order, long k, long count)
    {
        var integerValues = BSplineStencil.IntegerValues(order);
        var result = new double[count];
        for (long index = 0; index < count; index++)
        {
            double re = 0, im = 0;
            for (int j = 1; j < order; j++)
            {
                double angle = 2 * Math.PI * index * j / k;
                re += integerValues[j - 1] * Math.Cos(angle);
                im += integerValues[j - 1] * Math.Sin(angle);
            }
            double squared = re * re + im * im;
            result[index] = squared < 1e-300 ? 0 : 1 / squared;
        }
        return result;
    }

    IEnumerable<Tensor> Owned() =>
        [_positions, _cell, _receiverHarmonic, _receiverWidth, _harmonics, _gaussians, _kernel, _multiplicity, _sourceConstant, _receiverConstant];

    public void Dispose()
    {
        foreach (var t in Owned()) t.Dispose();
        _stencil.Dispose();
    }
}
