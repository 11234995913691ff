using static TorchSharp.torch;
using TorchSharp;

namespace MaceScf.Electrostatics;

/// Smooth particle-mesh Ewald for the reciprocal-space sum of Gaussian multipoles (docs/electrostatics.md).
/// Each density coefficient channel is spread on a K₁×K₂×K₃ grid with B-splines and Fourier
/// transformed; the exact Fourier transforms of the Gaussian multipoles and receivers (the same as
/// in <see cref="ReciprocalSpaceSum"/>) are applied on the grid wave vectors, and the B-spline
/// factor 1/|b(m)|² corrects the interpolation. The geometry part (stencil weights, kernels) is
/// built once: O(N·order³ + grid) memory. Differentiable in p, positions and cell.
sealed class ParticleMeshSum : IReciprocalSum
{
    readonly long[] _grid;
    readonly long _points;
    readonly BSplineStencil _stencil;
    readonly Tensor _harmonics;      // [H, M] solid harmonics |k|^l Y_lm(k̂), H = (max(L, Lf)+1)²
    readonly Tensor _gaussians;      // [1+S, M] e^{−k²σ²/2} of the density, then of each receiver width
    readonly Tensor _kernel;         // [M] G(k) = 1/(Ωε0 k² |b(m)|²); 0 at k = 0 and on Nyquist planes
    readonly Tensor _energyWeight;   // [M] ½ G times 2 for the wave vectors standing for a ±k pair
    readonly Tensor _sourceConstant;   // [C] complex (−i)^l 4π√(π/2) σ^{2l+3}/C_l
    readonly Tensor _receiverConstant; // [F] complex conj((−i)^l) 4π√(π/2) w^{2l+3}/C_l
    readonly int[] _receiverHarmonic, _receiverWidth;    // rows of _harmonics and _gaussians of each feature

    public ParticleMeshSum(ElectrostaticsOptions options, FieldFeatureLayout layout, Tensor positions, Tensor cell, MeshParameters mesh)
    {
        using var scope = NewDisposeScope();
        Mesh = mesh;
        _grid = GridShape(cell, mesh);
        _points = _grid[0] * _grid[1] * _grid[2];
        _stencil = new BSplineStencil(positions, cell, _grid, mesh.Order);
        var dtype = positions.dtype;
        var device = positions.device;
        long half = _grid[2] / 2 + 1;

        var m0 = tensor(WaveNumbers(_grid[0], false), dtype: dtype, device: device);
        var m1 = tensor(WaveNumbers(_grid[1], false), dtype: dtype, device: device);
        var m2 = tensor(WaveNumbers(_grid[2], true), dtype: dtype, device: device);
        var mesh3 = meshgrid(new[] { m0, m1, m2 }, indexing: "ij");
        var m = stack(mesh3.Select(x => x.reshape(-1)).ToArray(), 1);                 // [M, 3]
        KVectorCount = (int)m.shape[0];
        var k = m.matmul(ReciprocalLattice.Vectors(cell));
        var k2 = k.square().sum(1);

        var valid = Outer(Valid(_grid[0], false), Valid(_grid[1], false), Valid(_grid[2], true));
        var factor = Outer(BSplineFactor(mesh.Order, _grid[0], _grid[0]), BSplineFactor(mesh.Order, _grid[1], _grid[1]),
            BSplineFactor(mesh.Order, _grid[2], half));
        var weightMask = tensor(valid, device: device) & (m.abs().sum(1) == 0).logical_not();
        var volume = linalg.det(cell);
        _kernel = where(weightMask, CoulombConstants.FieldConstant / (volume * where(weightMask, k2, ones_like(k2))), zeros_like(k2))
                  * tensor(factor, dtype: dtype, device: device);
        _energyWeight = 0.5 * where(m[.., 2] > 0, full_like(k2, 2.0), ones_like(k2)) * _kernel;

        _harmonics = SolidHarmonics.Evaluate(k, Math.Max(options.DensityMaxL, layout.MaxL)).T.contiguous();
        _gaussians = stack(layout.Widths.Prepend(options.SmearingWidth).Select(w => (-0.5 * w * w * k2).exp()).ToArray(), 0);

        int channels = options.DensityCoefficientCount;
        var degree = SolidHarmonics.DegreeOfColumn(options.DensityMaxL);
        _sourceConstant = PhasedConstants(Enumerable.Range(0, channels).Select(c =>
            (degree[c], Radial(degree[c], options.SmearingWidth, GaussianMultipoleBasis.MultipoleNormalisation))), conjugate: false, dtype, device);
        var featureDegree = layout.DegreeOfOutput;
        var featureWidth = layout.WidthOfOutput;
        var featureHarmonic = layout.HarmonicOfOutput;
        _receiverConstant = PhasedConstants(Enumerable.Range(0, layout.Count).Select(f =>
            (featureDegree[f], Radial(featureDegree[f], layout.Widths[featureWidth[f]], GaussianMultipoleBasis.ReceiverNormalisation))), conjugate: true, dtype, device);
        _receiverHarmonic = featureHarmonic;
        _receiverWidth = featureWidth.Select(w => w + 1).ToArray();

        foreach (var t in Owned()) t.DetachFromDisposeScope();
    }

    public MeshParameters Mesh { get; }

    /// Grid points along the three lattice vectors.
    public IReadOnlyList<long> Grid => _grid;

    public int KVectorCount { get; }

    /// S(k) = Σ_c φ̃_c(k) FFT[Q_c](k), [M] complex (the B-spline factor lives in the kernel); one channel at a time, each in
    /// its own dispose scope, so that one channel's grids are freed before the next is spread (the autograd graph keeps only
    /// what its backward needs: the constant factors, not the grids).
    Tensor StructureFactor(Tensor p)
    {
        using var outer = NewDisposeScope();
        Tensor? sum = null;
        for (int c = 0; c < p.shape[1]; c++)
        {
            using var scope = NewDisposeScope();
            var grid = _stencil.Spread(p[.., c], _points).reshape(_grid[0], _grid[1], _grid[2]);
            var term = fft.rfftn(grid).reshape(-1) * _harmonics[c] * _sourceConstant[c];
            sum = (sum is null ? term : sum + term).MoveToOuterDisposeScope();
        }
        return (sum! * _gaussians[0]).MoveToOuterDisposeScope();
    }

    public Tensor Energy(Tensor p)
    {
        using var scope = NewDisposeScope();
        var s = StructureFactor(p);
        return (_energyWeight * (s.real.square() + s.imag.square())).sum().MoveToOuterDisposeScope();
    }

    /// Φ_f(k) = G(k) S(k) conj(ψ̃_f(k)) for every feature f, interpolated at the atoms, [n, F].
    /// One feature at a time in its own dispose scope: besides the potential, one complex spectrum and one real grid are alive.
    public Tensor Features(Tensor p)
    {
        using var outer = NewDisposeScope();
        var potential = _kernel * StructureFactor(p);
        var columns = new Tensor[_receiverHarmonic.Length];
        for (int f = 0; f < columns.Length; f++)
        {
            using var scope = NewDisposeScope();
            var spectrum = potential * _harmonics[_receiverHarmonic[f]] * _gaussians[_receiverWidth[f]] * _receiverConstant[f];
            columns[f] = Interpolate(spectrum).MoveToOuterDisposeScope();
        }
        return stack(columns, 1).MoveToOuterDisposeScope();
    }

    public Tensor Potential(Tensor p)
    {
        using var scope = NewDisposeScope();
        return Interpolate(_kernel * StructureFactor(p)).MoveToOuterDisposeScope();
    }

    /// Σ_full X(k) e^{ik·r_i} of a half spectrum X [M] (Hermitian), [n].
    Tensor Interpolate(Tensor spectrum)
    {
        var values = fft.irfftn(spectrum.reshape(_grid[0], _grid[1], _grid[2] / 2 + 1), s: _grid, norm: FFTNormType.Forward);
        return _stencil.Interpolate(values.reshape(-1));
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

    static bool[] Outer(bool[] a, bool[] b, bool[] c)
    {
        var result = new bool[a.Length * b.Length * c.Length];
        int i = 0;
        foreach (var x in a) foreach (var y in b) foreach (var z in c) result[i++] = x && y && z;
        return result;
    }

    static double[] Outer(double[] a, double[] b, double[] c)
    {
        var result = new double[a.Length * b.Length * c.Length];
        int i = 0;
        foreach (var x in a) foreach (var y in b) foreach (var z in c) result[i++] = x * y * z;
        return result;
    }

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
        [_harmonics, _gaussians, _kernel, _energyWeight, _sourceConstant, _receiverConstant];

    public void Dispose()
    {
        _stencil.Dispose();
        foreach (var t in Owned()) t.Dispose();
    }
}
