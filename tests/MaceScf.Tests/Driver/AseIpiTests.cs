using System.Text.Json;
using MaceScf.Tests.Cli;
using MaceScf.Tests.Data;
using Xunit.Abstractions;

namespace MaceScf.Tests.Driver;

/// `macescf ipi` as the driver of ASE's SocketIOCalculator (ase_ipi.py) over a UNIX socket: ASE receives our model's
/// energies, forces and stress in its own units, and a short VelocityVerlet run conserves the total energy.
public sealed class AseIpiTests(IpiTestSystem system, ITestOutputHelper output) : IClassFixture<IpiTestSystem>
{
    private const int MdSteps = 20;

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task AseComputesOurPredictionsAndConservesEnergy(bool periodic)
    {
        string init = periodic ? system.Periodic : system.Cluster;
        string name = $"macescf-test-{Guid.NewGuid():N}", json = Path.Combine(system.Folder, $"ase-{periodic}.json");
        using var ase = AsePython.Start(Path.Combine("Driver", "ase_ipi.py"), name, init, json, MdSteps.ToString());
        var aseErrors = ase.StandardError.ReadToEndAsync();
        try
        {
            var line = await ase.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30));
            // (The message awaits the script's exit: build it only on failure.)
            if (line != "listening") Assert.Fail($"ase_ipi.py did not start: {line} {await aseErrors}");
            var driver = Task.Run(() => CliRunner.Run(["ipi", system.ModelPath, "--init", init, "--unix", name, "--keys", IpiTestSystem.Keys,
                .. IpiTestSystem.ScfArguments]));
            var (code, text) = await driver.WaitAsync(TimeSpan.FromMinutes(2));
            output.WriteLine(text);
            await ase.WaitForExitAsync().WaitAsync(TimeSpan.FromMinutes(1));
            Assert.True(ase.ExitCode == 0, $"ase_ipi.py failed ({ase.ExitCode}):\n{await aseErrors}");
            Assert.Equal(0, code);
            // Two single points, then one force call per MD step (ASE reuses the last single point for the first).
        Assert.Contains($"i-PI driver: {2 + MdSteps} step(s)", text);
        }
        finally
        {
            if (!ase.HasExited) ase.Kill();
        }

        using var results = JsonDocument.Parse(File.ReadAllText(json));
        foreach (var point in results.RootElement.GetProperty("points").EnumerateArray())
        {
            var expected = system.Evaluate(init, Matrix(point.GetProperty("positions")), Matrix(point.GetProperty("cell")));
            Assert.Equal(expected.Energy, point.GetProperty("energy").GetDouble(), 1e-7);
            IpiClientTests.AssertClose(expected.Forces!, Matrix(point.GetProperty("forces")), 1e-6);
            Assert.Equal(periodic, point.TryGetProperty("stress", out var stress));
            if (periodic) IpiClientTests.AssertClose(expected.Stress!, Matrix(stress), 1e-6);
        }
        var energies = results.RootElement.GetProperty("total_energies").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        double drift = energies.Max(e => Math.Abs(e - energies[0]));
        output.WriteLine($"total energy over {MdSteps} steps of 0.5 fs: largest change {drift:E2} eV");
        Assert.True(drift < 1e-3, $"the total energy changed by {drift:E2} eV in {MdSteps} steps");
    }

    private static double[,] Matrix(JsonElement rows)
    {
        var values = rows.EnumerateArray().Select(r => r.EnumerateArray().Select(x => x.GetDouble()).ToArray()).ToArray();
        var matrix = new double[values.Length, 3];
        for (int i = 0; i < values.Length; i++)
            for (int j = 0; j < 3; j++) matrix[i, j] = values[i][j];
        return matrix;
    }
}
