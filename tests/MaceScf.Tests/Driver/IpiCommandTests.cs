using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Tests.Cli;
using Xunit.Abstractions;

namespace MaceScf.Tests.Driver;

/// `macescf ipi` against a fake i-PI server: what it returns is the model's prediction (eval) in atomic units, with a
/// virial for a periodic cell; bad input stops it with an error that names what was wrong.
public sealed class IpiCommandTests(IpiTestSystem system, ITestOutputHelper output) : IClassFixture<IpiTestSystem>
{
    private readonly IpiTestSystem _system = system;

    private Task<(int ExitCode, string Output)> StartDriver(FakeIpiServer server, string init, string[]? scf = null) =>
        Task.Run(() => CliRunner.Run(["ipi", _system.ModelPath, "--init", init, "--address", server.Address, "--keys", IpiTestSystem.Keys,
            .. scf ?? IpiTestSystem.ScfArguments]));

    private async Task<(int ExitCode, string Output)> Finish(Task<(int ExitCode, string Output)> driver)
    {
        var result = await driver.WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine(result.Output);
        return result;
    }

    /// Three steps that move the atoms (and, periodic, strain the cell): every reply equals a cold-start evaluation of that
    /// geometry, although steps after the first are warm-started.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task StepsReturnTheModelsPrediction(bool periodic)
    {
        string init = periodic ? _system.Periodic : _system.Cluster;
        var frame = ExtXyzReader.ReadAll(init)[0];
        using var server = new FakeIpiServer();
        var driver = StartDriver(server, init);
        server.Handshake(driver);
        for (int step = 0; step < 3; step++)
        {
            var positions = (double[,])frame.Positions.Clone();
            for (int a = 0; a < frame.AtomCount; a++)
                for (int k = 0; k < 3; k++) positions[a, k] += 0.02 * step * Math.Sin(3 * a + k + 1);
            var cell = (double[,])frame.Cell!.Clone();
            if (periodic) cell[0, 1] += 0.05 * step;
            var (energy, forces, virial) = server.Step(cell, positions);
            Assert.Equal("READY", server.Status());

            var expected = _system.Evaluate(init, positions, cell);
            output.WriteLine($"step {step}: expected {expected.Energy:R} ({expected.Steps} updates), got {energy:R}");
            Assert.Equal(expected.Energy, energy, 1e-7);
            IpiClientTests.AssertClose(expected.Forces!, forces, 1e-6);
            var expectedVirial = new double[3, 3];
            if (periodic)
            {
                double volume = Math.Abs(CellVolume.Of(cell));
                for (int i = 0; i < 3; i++)
                    for (int j = 0; j < 3; j++) expectedVirial[i, j] = -volume * expected.Stress![i, j];
                Assert.True(expectedVirial.Cast<double>().Any(v => Math.Abs(v) > 1e-3), "the periodic test needs a non-zero virial");
            }
            IpiClientTests.AssertClose(expectedVirial, virial, 1e-6);
        }
        server.Send("EXIT");
        var (code, text) = await Finish(driver);
        Assert.Equal(0, code);
        Assert.Contains("step 2: energy", text);
        Assert.Contains("SCF converged in", text);
        Assert.Contains("forces implicit", text);
        Assert.Contains("i-PI driver: 3 step(s)", text);
    }

    /// --field and --fermi-level replace the frame's conditions; with --dipole and --charges every reply's extras carry the
    /// dipole (e·Bohr) and the atomic charges of that step's solution.
    [Fact]
    public async Task FieldAndFermiLevelApplyAndTheExtrasCarryDipoleAndCharges()
    {
        string init = _system.Cluster;
        var frame = ExtXyzReader.ReadAll(init)[0];
        using var server = new FakeIpiServer();
        var driver = StartDriver(server, init, [.. IpiTestSystem.ScfArguments, "--field", "0.02 -0.01 0.05", "--fermi-level", "0.4", "--dipole", "--charges"]);
        server.Handshake(driver);
        var (energy, _, _) = server.Step(frame.Cell!, frame.Positions);
        server.Send("EXIT");
        var (code, _) = await Finish(driver);
        Assert.Equal(0, code);

        var expected = _system.Evaluate(init, frame.Positions, frame.Cell, new MaceScf.Md.RunConditions(FermiLevel: 0.4, ExternalField: [0.02, -0.01, 0.05]));
        Assert.Equal(0.4, expected.FermiLevel!.Value, 1e-12);
        Assert.Equal(expected.Energy, energy, 1e-7);
        Assert.NotEqual(expected.Energy, _system.Evaluate(init, frame.Positions, frame.Cell).Energy, 1e-4);
        output.WriteLine(server.LastExtras);
        AssertExtras(server.LastExtras, expected, frame.AtomCount);
    }

    /// The i-PI extras string carries the dipole (e·Bohr) and the atomic charges of <paramref name="expected"/>.
    internal static void AssertExtras(string extras, CalculatorResults expected, int atomCount)
    {
        using var json = System.Text.Json.JsonDocument.Parse(extras);
        var dipole = json.RootElement.GetProperty("dipole").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        var charges = json.RootElement.GetProperty("charges").EnumerateArray().Select(e => e.GetDouble()).ToArray();
        for (int k = 0; k < 3; k++) Assert.Equal(expected.Dipole![k] / FakeIpiServer.Bohr, dipole[k], 1e-8);
        Assert.Equal(atomCount, charges.Length);
        for (int i = 0; i < charges.Length; i++) Assert.Equal(expected.Density![i, 0], charges[i], 1e-8);
    }

    [Fact]
    public void ConditionsThatContradictEachOtherAreUsageErrors()
    {
        var (both, text) = CliRunner.Run("ipi", _system.ModelPath, "--init", _system.Cluster, "--address", "127.0.0.1:1", "--fermi-level", "0.1",
            "--total-charge", "0");
        Assert.Equal(2, both);
        Assert.Contains("not both", text);
        var (contradiction, text2) = CliRunner.Run("ipi", _system.ModelPath, "--init", _system.Cluster, "--address", "127.0.0.1:1",
            "--fermi-level", "0.1", "--constant_charge", "true");
        Assert.Equal(2, contradiction);
        Assert.Contains("contradicts", text2);
        Assert.Equal(2, CliRunner.Run("ipi", _system.ModelPath, "--init", _system.Cluster, "--address", "127.0.0.1:1", "--field", "0 1").ExitCode);
    }

    [Fact]
    public async Task AtomCountMismatchIsAnError()
    {
        var frame = ExtXyzReader.ReadAll(_system.Cluster)[0];
        using var server = new FakeIpiServer();
        var driver = StartDriver(server, _system.Cluster);
        server.Accept(driver);
        server.Status();
        server.Init();
        server.PosData(frame.Cell!, new double[frame.AtomCount + 1, 3]);
        var (code, text) = await Finish(driver);
        Assert.Equal(1, code);
        Assert.Contains($"the server sent {frame.AtomCount + 1} atoms, the initial structure ({_system.Cluster}, frame 0) has {frame.AtomCount}", text);
        Assert.True(server.ClientClosed());
    }

    /// Over-mixing (α = 3) makes the SCF diverge: the driver stops with exit code 1 and sends nothing for that step.
    [Fact]
    public async Task DivergedScfStopsTheDriver()
    {
        var frame = ExtXyzReader.ReadAll(_system.Cluster)[0];
        using var server = new FakeIpiServer();
        var driver = StartDriver(server, _system.Cluster, ["--constant_charge", "false", "--mixing_parameter", "3"]);
        server.Accept(driver);
        server.Status();
        server.Init();
        server.PosData(frame.Cell!, frame.Positions);
        var (code, text) = await Finish(driver);
        Assert.Equal(1, code);
        Assert.Contains("step 0: the SCF diverged after", text);
        Assert.True(server.ClientClosed());
    }

    [Fact]
    public void SpeciesNotInTheModelAreNamed()
    {
        string init = Path.Combine(_system.Folder, "methane.xyz");
        File.WriteAllText(init, "2\ntotal_charge=0\nC 0 0 0\nH 0 0 1.09\n");
        using var server = new FakeIpiServer();
        var (code, text) = CliRunner.Run("ipi", _system.ModelPath, "--init", init, "--address", server.Address);
        output.WriteLine(text);
        Assert.Equal(1, code);
        Assert.Contains($"{init}, frame 0: element(s) C not in the model's species (H, O)", text);
    }

    [Fact]
    public void UnreachableServerAndBadUsageAreErrors()
    {
        string address;
        using (var server = new FakeIpiServer()) address = server.Address;
        var (code, text) = CliRunner.Run("ipi", _system.ModelPath, "--init", _system.Cluster, "--address", address);
        Assert.Equal(1, code);
        Assert.Contains($"cannot connect to the i-PI server at {address}", text);
        (code, text) = CliRunner.Run("ipi", _system.ModelPath, "--init", _system.Cluster, "--unix", "macescf-no-such-socket");
        Assert.Equal(1, code);
        Assert.Contains("/tmp/ipi_macescf-no-such-socket", text);
        (code, text) = CliRunner.Run("ipi", _system.ModelPath, "--init", _system.Cluster);
        Assert.Equal(2, code);
        Assert.Contains("one of --address HOST:PORT or --unix NAME", text);
        (code, text) = CliRunner.Run("ipi", _system.ModelPath, "--address", address);
        Assert.Equal(2, code);
        Assert.Contains("--init", text);
    }
}
