using MaceScf.Data;
using MaceScf.Spectra;
using MaceScf.Tests.Cli;
using Xunit.Abstractions;

namespace MaceScf.Tests.Spectra;

/// `macescf spectrum` and <see cref="InfraredSpectrum"/> on dipole signals with known frequencies.
public sealed class InfraredSpectrumTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-spectrum-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// Three lines (cm⁻¹), amplitudes (e·Å) and Cartesian directions, like the bend and stretches of water.
    static readonly (double Wavenumber, double Amplitude, int Axis)[] Lines = [(1595.3, 0.02, 0), (3657.1, 0.008, 1), (3755.8, 0.008, 2)];

    /// P(t) = P0 + Σ A cos(2π c ν̃ t + φ) along each line's axis, plus a slow drift that the derivative removes.
    static double[,] Signal(int frames, double timestep)
    {
        var dipoles = new double[frames, 3];
        for (int t = 0; t < frames; t++)
        {
            double time = t * timestep;
            for (int k = 0; k < 3; k++) dipoles[t, k] = 0.3 * (k + 1);
            dipoles[t, 0] += 1e-6 * time;
            foreach (var (nu, amplitude, axis) in Lines)
                dipoles[t, axis] += amplitude * Math.Cos(2 * Math.PI * InfraredSpectrum.SpeedOfLight * nu * time + nu);
        }
        return dipoles;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void PeaksAreAtTheSignalsWavenumbersWithinOneInverseCentimetre(bool quantumCorrection)
    {
        var spectrum = InfraredSpectrum.Of(Signal(8192, 2.0), new SpectrumOptions(2.0, QuantumCorrection: quantumCorrection));
        var peaks = spectrum.Peaks();
        output.WriteLine($"resolution {spectrum.Resolution:F2} cm⁻¹, grid {spectrum.GridSpacing:F3} cm⁻¹, peaks {string.Join(", ", peaks.Select(p => p.ToString("F2")))}");
        Assert.True(spectrum.Resolution < 3.5, $"resolution {spectrum.Resolution}");
        Assert.Equal(Lines.Length, peaks.Count);
        foreach (var (nu, _, _) in Lines) output.Report($"|peak − {nu}| (cm⁻¹)", peaks.Min(p => Math.Abs(p - nu)), 1.0);
    }

    [Fact]
    public void TheQuantumCorrectionIsTheHarmonicFactor()
    {
        using var scope = TorchSharp.torch.NewDisposeScope();
        var factor = InfraredSpectrum.HarmonicCorrection(TorchSharp.torch.tensor(new[] { 0.0, 208.5, 3000.0 }), 300).data<double>().ToArray();
        Assert.Equal(1.0, factor[0], 12);
        // βħω = 1 at 208.5 cm⁻¹ and 300 K: 1/(1 − e⁻¹).
        double x = 208.5 * InfraredSpectrum.SecondRadiationConstant / 300;
        Assert.Equal(x / (1 - Math.Exp(-x)), factor[1], 12);
        Assert.Equal(3000 * InfraredSpectrum.SecondRadiationConstant / 300, factor[2], 4);
    }

    [Fact]
    public void CommandWritesCsvAndPlotAndNamesAFrameWithoutADipole()
    {
        var dipoles = Signal(2048, 2.0);
        string trajectory = Path.Combine(_dir, "traj.xyz"), csv = Path.Combine(_dir, "ir.csv"), png = Path.Combine(_dir, "ir.png");
        var frames = Enumerable.Range(0, dipoles.GetLength(0)).Select(t =>
        {
            var frame = new Configuration([8], new double[1, 3], null, [false, false, false]);
            frame.Info["dipole"] = new[] { dipoles[t, 0], dipoles[t, 1], dipoles[t, 2] };
            return frame;
        }).ToList();
        ExtXyzWriter.Write(trajectory, frames);
        var (code, text) = CliRunner.Run("spectrum", trajectory, "--dipole-key", "dipole", "--timestep", "2", "-o", csv, "--plot", png);
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.Contains("peaks (cm⁻¹): 159", text);
        var rows = File.ReadAllLines(csv);
        Assert.StartsWith("# IR absorption", rows[0]);
        Assert.Equal("wavenumber_cm-1,absorption,classical", rows[1]);
        Assert.True(double.Parse(rows[^1].Split(',')[0], System.Globalization.CultureInfo.InvariantCulture) <= 4500);
        Assert.True(new FileInfo(png).Length > 1000);

        frames[5].Info.Remove("dipole");
        ExtXyzWriter.Write(trajectory, frames);
        var (missing, message) = CliRunner.Run("spectrum", trajectory, "--dipole-key", "dipole", "--timestep", "2");
        Assert.Equal(1, missing);
        Assert.Contains("frame 5: no dipole under the info key 'dipole'", message);
        Assert.Equal(2, CliRunner.Run("spectrum", trajectory, "--dipole-key", "dipole").ExitCode);
    }
}
