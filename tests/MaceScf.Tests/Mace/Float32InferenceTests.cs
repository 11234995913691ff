using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.MaceImport;
using MaceScf.Tests.Cli;
using MaceScf.Tests.Driver;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.MaceImport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

/// The float32 inference path (`--default_dtype float32` of eval and ipi, <see cref="MaceScf.Mace.MaceModel.UseComputeDtype"/>):
/// the layers run in float32, inputs, E0, the sums over atoms, the outputs and the electrostatics stay in float64, and the
/// results agree with float64 within the bounds of docs/benchmarks.md (1e-5 eV/atom, 1e-4 eV/Å).
public sealed class Float32InferenceTests(ITestOutputHelper output) : IDisposable
{
    const double EnergyPerAtomBound = 1e-5, ForceBound = 1e-4;

    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-float32-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void Layers_run_in_float32_while_E0_and_every_output_stay_float64()
    {
        using var model = MaceTestSystems.Model(5);
        model.UseComputeDtype(ScalarType.Float32);
        Assert.Equal(ScalarType.Float64, model.Dtype);
        Assert.Equal(ScalarType.Float32, model.ComputeDtype);
        foreach (var (name, p) in model.named_parameters()) Assert.True(p.dtype == ScalarType.Float32 && p.requires_grad, name);
        using var frozen = MaceTestSystems.Model(5);
        foreach (var p in frozen.parameters()) p.requires_grad_(false);
        frozen.UseComputeDtype(ScalarType.Float32);
        Assert.All(frozen.parameters(), p => Assert.False(p.requires_grad));
        Assert.Equal(ScalarType.Float64, model.AtomicEnergies.Values.dtype);
        var (positions, species) = MaceTestSystems.Molecule(5, 2);
        using var scope = NewDisposeScope();
        var output = model.forward(MaceTestSystems.Inputs(positions, species, null));
        Assert.All(output.NodeFeatures.Concat(output.NodeEnergies).Append(output.Energy).Append(output.NodeEnergy)
            .Append(output.EdgeAttributes).Append(output.EdgeFeatures), t => Assert.Equal(ScalarType.Float64, t.dtype));
    }

    /// The bundled trained Python MACE model (mace_small_HO) on its four structures (periodic and not): float32 differs from
    /// float64 (so it really ran in float32) by less than the bounds.
    [Fact]
    public void Float32_agrees_with_float64_on_the_bundled_trained_model_within_the_bounds()
    {
        const string name = "mace_small_HO";
        using var reference = PythonMaceFile.Load(PythonMaceReferenceTests.ModelPath(name));
        using var single = PythonMaceFile.Load(PythonMaceReferenceTests.ModelPath(name));
        single.Model.UseComputeDtype(ScalarType.Float32);
        foreach (var p in reference.Model.parameters().Concat(single.Model.parameters())) p.requires_grad_(false);
        var structures = PythonMaceReferenceTests.Structures(name).Select(c => new Structure(c)).ToList();
        var all = CalculatorProperties.Energy | CalculatorProperties.Forces;
        var exact = new MaceCalculator(reference.Model).CalculateAll(structures, all, batchSize: 1).ToList();
        var approx = new MaceCalculator(single.Model).CalculateAll(structures, all, batchSize: 1).ToList();
        var (energy, forces) = Errors(structures, exact, approx);
        output.WriteLine($"float32 − float64: energy {energy:E2} eV/atom, forces {forces:E2} eV/Å");
        Assert.InRange(energy, 1e-12, EnergyPerAtomBound);
        Assert.InRange(forces, 1e-12, ForceBound);
    }

    /// A fixed-point model with a float32 backbone: the SCF and the electrostatics stay in float64 (density, Fermi level), the
    /// tight SCF still converges, and energy and forces agree with float64 within the bounds.
    [Fact]
    public void A_fixed_point_model_keeps_its_scf_in_float64_and_agrees_within_the_bounds()
    {
        var hp = FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.MixedPeriodic) with
        {
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.MixedPeriodic, FieldFeatureWidths = [1.0, 2.0], KspaceCutoffFactor = 0.8 },
        };
        using var reference = FixedPointTestSystems.Model(hp, 41).Freeze();
        using var single = FixedPointTestSystems.Model(hp, 41).Freeze();
        single.Backbone.UseComputeDtype(ScalarType.Float32);
        var structures = ExtXyzReader.Read(Path.Combine("data", "fixtures", "test_configs.xyz")).Take(3)
            .Select(c => new Structure(c, TotalCharge: 0.0)).ToList();
        var all = CalculatorProperties.Energy | CalculatorProperties.Forces;
        var options = FixedPointTestSystems.TightScf() with { ScfTolerance = 1e-10 };
        var exact = new FixedPointCalculator(reference, options).CalculateAll(structures, all, batchSize: 1).ToList();
        var approx = new FixedPointCalculator(single, options).CalculateAll(structures, all, batchSize: 1).ToList();
        Assert.All(approx, r => Assert.Equal(ScfStatus.Converged, r.Status));
        var (energy, forces) = Errors(structures, exact, approx);
        double density = exact.Zip(approx).Max(p => MaxAbs(p.First.Density!, p.Second.Density!));
        output.WriteLine($"float32 backbone − float64: energy {energy:E2} eV/atom, forces {forces:E2} eV/Å, density {density:E2}");
        Assert.InRange(energy, 1e-12, EnergyPerAtomBound);
        Assert.InRange(forces, 1e-12, ForceBound);
        Assert.True(single.Dtype == ScalarType.Float64 && single.Backbone.Dtype == ScalarType.Float64);
    }

    /// `eval --default_dtype float32` evaluates in float32 (different numbers within the bounds); another value is a usage error.
    [Fact]
    public void Eval_takes_default_dtype_float32()
    {
        string model = PythonMaceReferenceTests.ModelPath("mace_small_HO");
        string data = TestData.Path("mace-models", "mace_small_HO_structures.xyz");
        string out64 = Path.Combine(_dir, "64.xyz"), out32 = Path.Combine(_dir, "32.xyz");
        var (code64, text64) = CliRunner.Run("eval", model, data, "-o", out64);
        var (code32, text32) = CliRunner.Run("eval", model, data, "-o", out32, "--default_dtype", "float32");
        output.WriteLine(text32);
        Assert.True(code64 == 0, text64);
        Assert.True(code32 == 0, text32);
        var frames64 = ExtXyzReader.ReadAll(out64);
        var frames32 = ExtXyzReader.ReadAll(out32);
        double energy = 0, forces = 0;
        for (int f = 0; f < frames64.Count; f++)
        {
            energy = Math.Max(energy, Math.Abs((double)frames64[f].Info["macescf_energy"] - (double)frames32[f].Info["macescf_energy"]) / frames64[f].AtomCount);
            forces = Math.Max(forces, MaxAbs((double[,])frames64[f].Arrays["macescf_forces"], (double[,])frames32[f].Arrays["macescf_forces"]));
        }
        Assert.InRange(energy, 1e-12, EnergyPerAtomBound);
        Assert.InRange(forces, 1e-12, ForceBound);
        var (bad, badText) = CliRunner.Run("eval", model, data, "-o", Path.Combine(_dir, "16.xyz"), "--default_dtype", "float16");
        Assert.Equal(2, bad);
        Assert.Contains("--default_dtype must be float32 or float64", badText);
    }

    /// `ipi --default_dtype float32 --edge_chunk_size 40` drives the bundled model: energy and forces of a step are the
    /// float64 library's within the bounds, and not bit for bit (float32 did run).
    [Fact]
    public void Ipi_takes_default_dtype_float32_and_edge_chunks()
    {
        const string name = "mace_small_HO";
        string python = PythonMaceReferenceTests.ModelPath(name);
        var init = Path.Combine(_dir, "init.xyz");
        var frame = PythonMaceReferenceTests.Structures(name)[0];
        ExtXyzWriter.Write(init, [frame]);
        using var model = PythonMaceFile.Load(python);
        using var server = new FakeIpiServer();
        var driver = Task.Run(() => CliRunner.Run("ipi", python, "--init", init, "--address", server.Address, "--default_dtype", "float32",
            "--edge_chunk_size", "40"));
        server.Handshake(driver);
        var (energy, forces, _) = server.Step(frame.Cell!, frame.Positions);
        var expected = new MaceCalculator(model.Model).Calculate(new Structure(frame));
        server.Send("EXIT");
        var (code, text) = driver.WaitAsync(TimeSpan.FromSeconds(120)).Result;
        output.WriteLine(text);
        Assert.Equal(0, code);
        double forceError = MaxAbs(expected.Forces!, forces);
        output.WriteLine($"ipi float32 − float64: energy {Math.Abs(expected.Energy - energy) / frame.AtomCount:E2} eV/atom, forces {forceError:E2} eV/Å");
        Assert.InRange(Math.Abs(expected.Energy - energy) / frame.AtomCount, 0, EnergyPerAtomBound);
        Assert.InRange(forceError, 1e-12, ForceBound);
    }

    static (double EnergyPerAtom, double Forces) Errors(IReadOnlyList<Structure> structures, IReadOnlyList<CalculatorResults> exact,
        IReadOnlyList<CalculatorResults> approx)
    {
        double energy = 0, forces = 0;
        for (int f = 0; f < structures.Count; f++)
        {
            energy = Math.Max(energy, Math.Abs(exact[f].Energy - approx[f].Energy) / structures[f].Atoms.AtomCount);
            forces = Math.Max(forces, MaxAbs(exact[f].Forces!, approx[f].Forces!));
        }
        return (energy, forces);
    }

    static double MaxAbs(double[,] a, double[,] b)
    {
        double m = 0;
        for (int i = 0; i < a.GetLength(0); i++)
            for (int j = 0; j < a.GetLength(1); j++) m = Math.Max(m, Math.Abs(a[i, j] - b[i, j]));
        return m;
    }
}
