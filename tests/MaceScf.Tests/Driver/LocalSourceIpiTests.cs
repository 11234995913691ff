using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.LocalSources;
using MaceScf.Models;
using MaceScf.Tests.Cli;
using MaceScf.Tests.ModelClasses;
using Xunit.Abstractions;

namespace MaceScf.Tests.Driver;

/// `macescf ipi` with a local-source model (LocalCharges): the driver answers each step with the model's energy, forces and
/// virial at the initial frame's total charge and the applied field of --field, and with --dipole/--charges its extras carry
/// the predicted dipole and charges; options a model without a Fermi level or an imposed charge cannot honour are refused.
public sealed class LocalSourceIpiTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-ipi-local-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public async Task LocalCharges_model_drives_md_with_the_field_and_reports_dipole_and_charges()
    {
        string modelPath = Path.Combine(_dir, "local.model"), init = Path.Combine(_dir, "init.xyz");
        using (var saved = LocalSourceModelTests.Model(ModelClass.LocalCharges, 7)) LocalSourceModelFile.Save(saved, modelPath);
        var frame = ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz"))[0];
        ExtXyzWriter.Write(init, [frame]);
        double[] field = [0.02, -0.01, 0.05];

        using var server = new FakeIpiServer();
        var driver = Task.Run(() => CliRunner.Run("ipi", modelPath, "--init", init, "--address", server.Address, "--field", "0.02 -0.01 0.05",
            "--dipole", "--charges"));
        server.Accept(driver);
        Assert.Equal("NEEDINIT", server.Status());
        server.Init();
        using var model = LocalSourceModelFile.Load(modelPath).Freeze();
        var calculator = new LocalSourceCalculator(model);
        var positions = (double[,])frame.Positions.Clone();
        for (int step = 0; step < 2; step++)
        {
            positions[1, 2] += 0.05;
            Assert.Equal("READY", server.Status());
            server.PosData(frame.Cell ?? new double[3, 3], positions);
            Assert.Equal("HAVEDATA", server.Status());
            var (energy, forces, virial) = server.GetForce();
            var moved = new Structure(new Configuration(frame.AtomicNumbers, (double[,])positions.Clone(), frame.Cell, frame.Pbc))
            {
                TotalCharge = frame.Info.TryGetValue("total_charge", out var q) ? Convert.ToDouble(q) : null,
                ExternalField = field,
            };
            var expected = calculator.Calculate(moved, CalculatorProperties.Energy | CalculatorProperties.Forces);
            var fieldFree = calculator.Calculate(moved with { ExternalField = null }, CalculatorProperties.Energy);
            Assert.NotEqual(fieldFree.Energy, expected.Energy, 1e-6);
            Assert.Equal(expected.Energy, energy, 1e-7);
            IpiClientTests.AssertClose(expected.Forces!, forces, 1e-6);
            Assert.All(virial.Cast<double>(), v => Assert.Equal(0.0, v));
            output.WriteLine(server.LastExtras);
            IpiCommandTests.AssertExtras(server.LastExtras, expected, frame.AtomCount);
        }
        server.Send("EXIT");
        var (code, text) = await driver.WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.Contains("model: LocalCharges", text);
        Assert.Contains("i-PI driver: 2 step(s)", text);

        // Neither a Fermi level nor an imposed total charge means anything to a model that predicts its charges once.
        foreach (var option in new[] { "--fermi-level", "--total-charge" })
        {
            var (refused, message) = CliRunner.Run("ipi", modelPath, "--init", init, "--address", "127.0.0.1:1", option, "0.1");
            Assert.Equal(2, refused);
            Assert.Contains("LocalCharges", message);
        }
    }
}
