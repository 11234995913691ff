using MaceScf.Calculators;
using System.Security.Cryptography;
using MaceScf.Data;
using MaceScf.Mace;
using MaceScf.MaceImport;
using MaceScf.Tests.Driver;
using MaceScf.Tests.MaceImport;
using Xunit.Abstractions;

namespace MaceScf.Tests.Cli;

/// `macescf convert`, `eval` and `ipi` with plain MACE models: a Python `.model` file directly or converted.
public sealed class MaceModelCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-mace-cli-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Structures(string name) => TestData.Path("mace-models", name + "_structures.xyz");

    /// Convert → our file → eval gives bit for bit the numbers of eval on the Python file, which are the library's.
    [Theory]
    [MemberData(nameof(PythonMaceReferenceTests.Models), MemberType = typeof(PythonMaceReferenceTests))]
    public void ConvertedModelEvaluatesBitForBitLikeThePythonFile(string name)
    {
        string python = PythonMaceReferenceTests.ModelPath(name), converted = Path.Combine(_dir, name + ".macescf");
        var (code, text) = CliRunner.Run("convert", python, "-o", converted);
        output.WriteLine(text);
        Assert.Equal(0, code);
        var header = MaceModelFile.ReadHeader(converted);
        Assert.Equal(Path.GetFullPath(python), header.Source!.SourcePath);
        Assert.Equal(Convert.ToHexStringLower(SHA256.HashData(File.ReadAllBytes(python))), header.Source.Sha256);
        Assert.Contains(header.Source.Sha256, text);

        var direct = Eval(python, name, "direct");
        var roundTrip = Eval(converted, name, "converted");
        using var model = PythonMaceFile.Load(python);
        foreach (var p in model.Model.parameters()) p.requires_grad_(false); // as eval does
        var all = CalculatorProperties.Energy | CalculatorProperties.Forces | CalculatorProperties.Stress;
        var library = new MaceCalculator(model.Model).CalculateAll(ExtXyzReader.ReadAll(Structures(name)).Select(c => new Structure(c)).ToList(), all, batchSize: 1).ToList();
        Assert.Equal(4, direct.Count);
        for (int f = 0; f < direct.Count; f++)
        {
            Assert.Equal(library[f].Energy, (double)direct[f].Info["macescf_energy"]);
            Assert.Equal(library[f].NodeEnergies, (double[])direct[f].Arrays["macescf_node_energy"]);
            Assert.Equal(library[f].Forces, (double[,])direct[f].Arrays["macescf_forces"]);
            foreach (var key in direct[f].Info.Keys.Where(k => k.StartsWith("macescf_", StringComparison.Ordinal)))
                Assert.Equal(direct[f].Info[key], roundTrip[f].Info[key]);
            foreach (var key in direct[f].Arrays.Keys.Where(k => k.StartsWith("macescf_", StringComparison.Ordinal)))
                Assert.Equal(direct[f].Arrays[key], roundTrip[f].Arrays[key]);
        }
        Assert.True(direct[0].Info.ContainsKey("macescf_stress") && !direct[2].Info.ContainsKey("macescf_stress"));
    }

    private List<Configuration> Eval(string model, string name, string tag)
    {
        var outPath = Path.Combine(_dir, $"{name}-{tag}.xyz");
        var (code, text) = CliRunner.Run("eval", model, Structures(name), "-o", outPath, "--stress", "--batch-size", "1");
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.Contains("MACE: 4 frame(s)", text);
        return ExtXyzReader.ReadAll(outPath);
    }

    [Fact]
    public void IpiDriverRunsAPythonModelFile()
    {
        const string name = "mace_small_HO";
        string python = PythonMaceReferenceTests.ModelPath(name);
        var init = Path.Combine(_dir, "init.xyz");
        var frame = ExtXyzReader.ReadAll(Structures(name))[0];
        ExtXyzWriter.Write(init, [frame]);
        using var model = PythonMaceFile.Load(python);
        using var server = new FakeIpiServer();
        var driver = Task.Run(() => CliRunner.Run("ipi", python, "--init", init, "--address", server.Address));
        server.Handshake(driver);
        var positions = (double[,])frame.Positions.Clone();
        positions[0, 0] += 0.03;
        var (energy, forces, virial) = server.Step(frame.Cell!, positions);
        var moved = new Configuration(frame.AtomicNumbers, positions, frame.Cell, frame.Pbc);
        var expected = new MaceCalculator(model.Model).Calculate(new Structure(moved), CalculatorProperties.Energy | CalculatorProperties.Forces | CalculatorProperties.Stress);
        Assert.Equal(expected.Energy, energy, 1e-7);
        IpiClientTests.AssertClose(expected.Forces!, forces, 1e-6);
        double volume = Math.Abs(CellVolume.Of(frame.Cell!));
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) Assert.Equal(-volume * expected.Stress![i, j], virial[i, j], 1e-6);
        server.Send("EXIT");
        var (code, text) = driver.WaitAsync(TimeSpan.FromSeconds(120)).Result;
        output.WriteLine(text);
        Assert.Equal(0, code);
    }

    [Fact]
    public void DamagedAndForeignFilesAreErrors()
    {
        var truncated = Path.Combine(_dir, "truncated.model");
        var bytes = File.ReadAllBytes(PythonMaceReferenceTests.ModelPath("mace_small_HO"));
        File.WriteAllBytes(truncated, bytes[..(bytes.Length / 3)]);
        var (code, text) = CliRunner.Run("eval", truncated, Structures("mace_small_HO"), "-o", Path.Combine(_dir, "x.xyz"));
        Assert.Equal(1, code);
        Assert.Contains("truncated.model", text);
        (code, text) = CliRunner.Run("convert", Structures("mace_small_HO"), "-o", Path.Combine(_dir, "x.model"));
        Assert.Equal(1, code);
        Assert.Contains("not a Python MACE .model file", text);
        (code, _) = CliRunner.Run("convert", PythonMaceReferenceTests.ModelPath("mace_small_HO"));
        Assert.Equal(2, code);
        Assert.False(File.Exists(Path.Combine(_dir, "x.xyz")));
    }
}
