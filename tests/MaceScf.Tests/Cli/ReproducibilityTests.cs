using MaceScf.Data;
using Xunit.Abstractions;

namespace MaceScf.Tests.Cli;

/// The same `macescf eval` command run twice, in two processes, writes the same bits (docs/errors.md, "Reproducibility").
public sealed class ReproducibilityTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-repro-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// Implicit forces (the default forces_method) of the bundled water clusters, converged so that no frame falls back to
    /// the unroll: forces, energies and densities bit for bit equal between the two processes.
    [Fact]
    public void ImplicitForcesAreBitwiseIdenticalBetweenTwoProcesses()
    {
        var model = SmallModel.Save(_dir);
        var data = Path.Combine(AppContext.BaseDirectory, "data", "fixtures", "test_configs.xyz");
        var runs = new List<Configuration>[2];
        for (int run = 0; run < 2; run++)
        {
            var outPath = Path.Combine(_dir, $"run{run}.xyz");
            var (code, text) = CliProcess.Run(["eval", model, data, "-o", outPath, "--num_scf_steps", "300",
                "--mixing_parameter", "0.2", "--batch-size", "3"]);
            output.WriteLine(text);
            Assert.True(code == 0, text);
            Assert.Contains("forces: implicit for 7 frame(s), unroll for 0", text);
            runs[run] = ExtXyzReader.ReadAll(outPath);
        }
        Assert.Equal(runs[0].Count, runs[1].Count);
        for (int f = 0; f < runs[0].Count; f++)
        {
            foreach (var key in new[] { "macescf_forces", "macescf_density_coefficients" })
                Assert.True(Bits((double[,])runs[0][f].Arrays[key]).SequenceEqual(Bits((double[,])runs[1][f].Arrays[key])), $"frame {f}: {key} differ");
            Assert.Equal(BitConverter.DoubleToInt64Bits((double)runs[0][f].Info["macescf_energy"]),
                BitConverter.DoubleToInt64Bits((double)runs[1][f].Info["macescf_energy"]));
        }
    }

    private static IEnumerable<long> Bits(double[,] values) => values.Cast<double>().Select(BitConverter.DoubleToInt64Bits);
}
