namespace MaceScf.Electrostatics;

/// Spline order and largest grid spacing of particle-mesh Ewald, chosen from the target accuracy
/// (docs/electrostatics.md, "Particle-mesh Ewald"). The Gaussians' own smearing already makes the
/// reciprocal sum converge, so no real-space part is needed: the mesh resolves the smeared kernel.
/// <param name="Order">B-spline order n (even); each atom touches n³ grid points.</param>
/// <param name="Spacing">Largest grid spacing h (Å): every lattice vector a_d gets K_d ≥ |a_d|/h points.</param>
/// <param name="EstimatedError">Estimated relative RMS error of forces and field features.</param>
internal sealed record MeshParameters(int Order, double Spacing, double EstimatedError)
{
    static readonly int[] Orders = [4, 6, 8, 10];

    /// Assumed atom density (Å⁻³) for balancing spreading (∝ n³ per atom) against the FFT (∝ grid points).
    const double ReferenceDensity = 0.1;

    /// Cost of a grid point relative to a stencil entry in the choice of the mesh.
    const double GridPointWeight = 2.0;

    static readonly System.Collections.Concurrent.ConcurrentDictionary<string, MeshParameters> Chosen = new();

    /// The cheapest (order, spacing) whose estimated relative RMS error is at most options.ElectrostaticsAccuracy
    /// (cached: the choice depends only on the widths, orders and accuracy).
    public static MeshParameters Choose(ElectrostaticsOptions options)
    {
        string key = $"{options.SmearingWidth:R}|{options.DensityMaxL}|{string.Join(",", options.FieldFeatureWidths.Select(w => w.ToString("R")))}|{options.FieldFeatureMaxL}|{options.ElectrostaticsAccuracy:R}";
        return Chosen.GetOrAdd(key, _ => Search(options));
    }

    static MeshParameters Search(ElectrostaticsOptions options)
    {
        var spectra = new SampledSpectra(Spectra(options));
        MeshParameters? best = null;
        double bestCost = double.MaxValue;
        foreach (int order in Orders)
        {
            double h = LargestSpacing(order, spectra, options.ElectrostaticsAccuracy);
            // Spreading and interpolation touch n³ grid points per atom, the FFTs and kernels every grid point a few times. A
            // grid point also holds its kernels for the plan's lifetime and a value in every spectrum of an evaluation, while
            // a stencil entry is rebuilt per block of atoms and never kept (BSplineStencil): a grid point weighs twice. Measured
            // at 30,000 atoms and 1e-6 (docs/benchmarks.md, "Particle-mesh Ewald"): order 6 on 200³ and order 8 on 108³ took
            // about the same time, and order 8 a third of the memory.
            double cost = Math.Pow(order, 3) + GridPointWeight / (ReferenceDensity * h * h * h);
            if (cost < bestCost)
            {
                bestCost = cost;
                best = new MeshParameters(order, h, spectra.RelativeError(order, h));
            }
        }
        return best!;
    }

    /// Estimated relative RMS error of the mesh for these options at (order, spacing).
    public static double RelativeError(ElectrostaticsOptions options, int order, double spacing) =>
        new SampledSpectra(Spectra(options)).RelativeError(order, spacing);

    /// The radial spectra k^q e^{−a k²} of the quantities the accuracy refers to: forces between
    /// multipoles of orders l, l' ≤ L (a = 2σ², q = 2(l+l')) and field features of width w and order
    /// l_f from sources of order l (a = σ² + w², q = max(2(l+l_f) − 2, 0)), with the 3-D measure and
    /// the 1/k⁴ of the squared Coulomb kernel included.
    static IEnumerable<(double A, int Q, bool Force)> Spectra(ElectrostaticsOptions options)
    {
        double s2 = options.SmearingWidth * options.SmearingWidth;
        for (int l = 0; l <= options.DensityMaxL; l++)
        {
            for (int l2 = 0; l2 <= options.DensityMaxL; l2++) yield return (2 * s2, 2 * (l + l2), true);
            foreach (double w in options.FieldFeatureWidths)
                for (int lf = 0; lf <= options.FieldFeatureMaxL; lf++)
                    yield return (s2 + w * w, Math.Max(2 * (l + lf) - 2, 0), false);
        }
    }

    static double LargestSpacing(int order, SampledSpectra spectra, double accuracy)
    {
        double lo = 0.01, hi = 10.0;
        if (spectra.RelativeError(order, lo) > accuracy)
            throw new ArgumentException($"electrostatics accuracy {accuracy} is out of reach of the particle mesh (error {spectra.RelativeError(order, lo):E2} at 0.01 Å spacing)");
        for (int i = 0; i < 30; i++)
        {
            double mid = Math.Sqrt(lo * hi);
            if (spectra.RelativeError(order, mid) <= accuracy) lo = mid; else hi = mid;
        }
        return lo;
    }

    /// The spectra sampled on one k grid (midpoint rule up to e^{−80} of the slowest decay).
    sealed class SampledSpectra
    {
        const int Samples = 2000;
        readonly double[] _k;
        readonly double[][] _f;
        readonly double[] _total;
        readonly bool[] _force;

        public SampledSpectra(IEnumerable<(double A, int Q, bool Force)> spectra)
        {
            var list = spectra.Distinct().ToArray();
            _force = list.Select(s => s.Force).ToArray();
            double kEnd = Math.Sqrt(80 / list.Min(s => s.A)), dk = kEnd / Samples;
            _k = Enumerable.Range(0, Samples).Select(i => (i + 0.5) * dk).ToArray();
            _f = list.Select(s => _k.Select(k => Math.Pow(k, s.Q) * Math.Exp(-s.A * k * k)).ToArray()).ToArray();
            _total = _f.Select(f => f.Sum()).ToArray();
        }

        /// max over spectra of √(∫ f(k) A(kh)² dk + ∫_{π/h}^∞ f dk) / √(∫ f dk): the aliasing of the B-spline
        /// interpolation (spreading and interpolation) inside the grid's Brillouin zone plus the modes the grid cannot represent.
        public double RelativeError(int order, double spacing)
        {
            double nyquist = Math.PI / spacing;
            var weight = new[] { false, true }
                .Select(force => _k.Select(k => k >= nyquist ? 1.0 : Aliasing(order, k * spacing, force)).ToArray()).ToArray();
            double worst = 0;
            for (int s = 0; s < _f.Length; s++)
            {
                double error = 0;
                var w = weight[_force[s] ? 1 : 0];
                for (int i = 0; i < Samples; i++) error += _f[s][i] * w[i];
                worst = Math.Max(worst, Math.Sqrt(error / _total[s]));
            }
            return worst;
        }
    }

    /// Squared relative amplitude of the aliases of e^{iθu} (θ = kh) through spreading and interpolation with B-splines of order n:
    /// 2 Σ_{j≠0} (r_j^{2n} + r_j^{2(n−d)}), r_j = θ/(θ + 2πj). For forces (d = 1) the interpolation is differentiated, which
    /// raises the alias at wave number θ + 2πj by (θ + 2πj)/θ; features are interpolated without derivative (d = 0).
    static double Aliasing(int order, double theta, bool force)
    {
        int interpolation = force ? order - 1 : order;
        double sum = 0;
        for (int j = 1; j <= 4; j++)
            foreach (double r in new[] { theta / (theta + 2 * Math.PI * j), theta / (2 * Math.PI * j - theta) })
                sum += Math.Pow(r, 2 * order) + Math.Pow(r, 2 * interpolation);
        return 2 * sum;
    }

}
