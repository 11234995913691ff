using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Spectra;

/// How an IR spectrum is computed from a dipole time series (docs/response.md, "IR spectra").
/// <param name="Timestep">time between frames (fs)</param>
/// <param name="MaxLag">longest correlation time used (fs); null: half the series</param>
/// <param name="Temperature">K, for the quantum correction factor</param>
/// <param name="QuantumCorrection">multiply the classical line shape by the harmonic factor βħω/(1 − e^(−βħω))</param>
internal sealed record SpectrumOptions(double Timestep, double? MaxLag = null, double Temperature = 300, bool QuantumCorrection = true);

/// The IR absorption line shape on a wavenumber grid.
/// <param name="Wavenumbers">cm⁻¹, from 0 in steps of <paramref name="GridSpacing"/></param>
/// <param name="Classical">the windowed Fourier transform of ⟨Ṗ(0)·Ṗ(t)⟩, (e·Å/fs)²·fs</param>
/// <param name="Absorption">the classical line shape times the quantum correction factor (or equal to it without)</param>
/// <param name="GridSpacing">the spacing of the wavenumbers (cm⁻¹)</param>
/// <param name="Resolution">full width at half maximum of a single line (cm⁻¹): 1.44 / (2 τ_max c) for the Hann lag window</param>
internal sealed record InfraredSpectrum(double[] Wavenumbers, double[] Classical, double[] Absorption, double GridSpacing, double Resolution)
{
    /// Speed of light, cm/fs.
    public const double SpeedOfLight = 2.99792458e-5;

    /// hc/k_B, cm·K (the second radiation constant).
    public const double SecondRadiationConstant = 1.438776877;

    /// The spectrum of the dipoles <paramref name="dipoles"/> [T, 3] (e·Å, one row per frame, equally spaced in time).
    /// I(ω) ∝ Q(ω) ∫ w(t) ⟨Ṗ(0)·Ṗ(t)⟩ cos(ωt) dt, with Ṗ by central differences, the unbiased autocorrelation (by FFT, zero
    /// padded: no wrap-around), a Hann lag window w falling to 0 at τ_max, and the lag series zero-padded to at least
    /// 8 τ_max so the grid is finer than the resolution.
    public static InfraredSpectrum Of(double[,] dipoles, SpectrumOptions options)
    {
        int frames = dipoles.GetLength(0);
        if (dipoles.GetLength(1) != 3) throw new ArgumentException("dipoles must be [T, 3]");
        if (frames < 8) throw new ArgumentException($"an IR spectrum needs at least 8 frames, got {frames}");
        if (!(options.Timestep > 0)) throw new ArgumentException($"the timestep must be positive, got {options.Timestep} fs");
        using var scope = NewDisposeScope();
        double dt = options.Timestep;
        var p = tensor(dipoles, dtype: float64);
        var velocity = (p.narrow(0, 2, frames - 2) - p.narrow(0, 0, frames - 2)).DividedBy(2 * dt);
        velocity = velocity - velocity.mean([0], keepdim: true);
        long n = velocity.shape[0];
        int lags = options.MaxLag is double maxLag ? (int)Math.Round(maxLag / dt) : (int)(n / 2);
        if (lags < 4 || lags > n)
            throw new ArgumentException($"the maximum correlation time must be between {4 * dt} and {n * dt} fs for {frames} frames of {dt} fs");
        var transform = fft.rfft(velocity, 2 * n, 0);
        var correlation = fft.irfft(transform * transform.conj(), 2 * n, 0).narrow(0, 0, lags).sum([1])
            / HeldScalars.Range(lags, float64).negative().Plus(n);
        var window = cos(HeldScalars.Range(lags, float64).Times(Math.PI).DividedBy(lags)).Plus(1).Times(0.5);
        long padded = 1;
        while (padded < 8L * lags) padded *= 2;
        var series = zeros(padded, dtype: float64);
        series.narrow(0, 0, lags).copy_(window * correlation);
        // One-sided cosine transform: Δt [C(0) + 2 Σ_(τ≥1) w C cos(ωτ)] = Δt (2 Re FFT − C(0)).
        var classical = (fft.rfft(series).real.Times(2) - correlation[0]).Times(dt);
        double spacing = 1 / (padded * dt * SpeedOfLight);
        var wavenumbers = HeldScalars.Range(classical.shape[0], float64).Times(spacing);
        var absorption = options.QuantumCorrection ? classical * HarmonicCorrection(wavenumbers, options.Temperature) : classical;
        return new InfraredSpectrum(Doubles(wavenumbers), Doubles(classical), Doubles(absorption), spacing,
            1.44 / (2 * lags * dt * SpeedOfLight));
    }

    /// βħω/(1 − e^(−βħω)) with βħω = (hc/k_B) ν̃ / T; 1 at ν̃ = 0.
    public static Tensor HarmonicCorrection(Tensor wavenumbers, double temperature)
    {
        if (!(temperature > 0)) throw new ArgumentException($"the temperature must be positive, got {temperature} K");
        var x = wavenumbers.Times(SecondRadiationConstant / temperature);
        using var tiny = 1e-300.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        return where(x.GreaterThan(1e-12), x / exp(-x).negative().Plus(1).clamp_min(tiny), ones_like(x));
    }

    /// Wavenumbers of the local maxima of the absorption above <paramref name="fraction"/> of the highest, refined by a
    /// parabola through the three grid points around each.
    public IReadOnlyList<double> Peaks(double fraction = 0.05)
    {
        double highest = Absorption.Max();
        var peaks = new List<double>();
        for (int k = 1; k < Absorption.Length - 1; k++)
        {
            double a = Absorption[k - 1], b = Absorption[k], c = Absorption[k + 1];
            if (b < fraction * highest || b < a || b <= c) continue;
            double offset = 0.5 * (a - c) / (a - 2 * b + c);
            peaks.Add(Wavenumbers[k] + offset * GridSpacing);
        }
        return peaks;
    }

    private static double[] Doubles(Tensor t) => t.contiguous().data<double>().ToArray();
}
