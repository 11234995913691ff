using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Tests.FixedPoint;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Cli;

/// `macescf eval` on the bundled water clusters with a small saved model.
public sealed class EvalCommandTests(ITestOutputHelper output) : IDisposable
{
    public const string Keys = "energy=AIMS_energy,forces=AIMS_forces,atomic_multipoles=DMA_coeficients,external_field=an_applied_field,"
        + "fermi_level=the_VBM";

    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-eval-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private string SaveModel(BoundaryMethod method = BoundaryMethod.MixedPeriodic)
    {
        var hp = FixedPointTestSystems.Hyperparameters(method: method) with
        {
            Electrostatics = new ElectrostaticsOptions { Method = method, FieldFeatureWidths = [1.0, 2.0], KspaceCutoffFactor = 0.8 },
        };
        var path = Path.Combine(_dir, $"model-{method}.macescf");
        using var model = FixedPointTestSystems.Model(hp, 41);
        ModelFile.Save(model, path);
        return path;
    }

    /// A model whose field features are divided by 1e12 has a density that ignores μ: held at the files' total charges, every
    /// frame is reported as no_charge_response, named, and eval exits with 1 instead of 0.
    [Fact]
    public void A_density_that_does_not_respond_to_the_fermi_level_at_constant_charge_fails_naming_the_frames()
    {
        var hp = FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.MixedPeriodic) with
        {
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.MixedPeriodic, FieldFeatureWidths = [1.0, 2.0], KspaceCutoffFactor = 0.8 },
            FieldFeatureNorms = [1e12, 1e12, 1e12, 1e12],
        };
        var path = Path.Combine(_dir, "local.macescf");
        using (var model = FixedPointTestSystems.Model(hp, 41)) ModelFile.Save(model, path);
        var data = Path.Combine("data", "fixtures", "test_configs.xyz");
        var outPath = Path.Combine(_dir, "local.xyz");
        var (code, text) = CliRunner.Run("eval", path, data, "-o", outPath, "--keys", Keys, "--num_scf_steps", "12", "--no-forces");
        output.WriteLine(text);
        Assert.Equal(1, code);
        Assert.Contains("no charge response:", text);
        Assert.Contains("test_configs.xyz, frame 0", text);
        Assert.Contains("--constant_charge false", text);
        var frames = ExtXyzReader.ReadAll(outPath);
        Assert.Contains(frames, f => (string)f.Info["macescf_scf_status"] == "no_charge_response");
        var (freeCode, freeText) = CliRunner.Run("eval", path, data, "-o", outPath, "--keys", Keys, "--num_scf_steps", "12", "--no-forces",
            "--constant_charge", "false");
        Assert.True(freeCode == 0, freeText);
        Assert.DoesNotContain("no charge response", freeText);
    }

    [Fact]
    public void WritesPredictionsSummaryAndErrorTable()
    {
        var model = SaveModel();
        var data = Path.Combine("data", "fixtures", "test_configs.xyz");
        var outPath = Path.Combine(_dir, "out.xyz");
        var (code, text) = CliRunner.Run("eval", model, data, "-o", outPath, "--keys", Keys, "--num_scf_steps", "40",
            "--mixing_parameter", "0.5", "--batch-size", "3");
        output.WriteLine(text);
        Assert.Contains("SCF: 7 frame(s)", text);
        Assert.Contains("energy per atom", text);
        Assert.Contains("total charge", text);
        var frames = ExtXyzReader.ReadAll(outPath);
        Assert.Equal(7, frames.Count);
        foreach (var f in frames)
        {
            Assert.IsType<double>(f.Info["macescf_energy"]);
            Assert.Contains((string)f.Info["macescf_scf_status"], new[] { "converged", "diverged", "max_steps_reached" });
            Assert.Equal(new[] { f.AtomCount, 3 }, new[] { f.Arrays["macescf_forces"].GetLength(0), f.Arrays["macescf_forces"].GetLength(1) });
            Assert.Equal(4, f.Arrays["macescf_density_coefficients"].GetLength(1));
            Assert.True(f.Info.ContainsKey("macescf_energy_coulomb") && f.Info.ContainsKey("macescf_fermi_level"));
            Assert.True(f.Info.ContainsKey("AIMS_energy"), "the input keys are kept");
        }
        // ASE, where users take the predictions next, reads the file as we do.
        MaceScf.Tests.Data.AseComparison.AssertAseReads(outPath, frames, _dir);
        // 39 updates do not converge these frames: their forces come from the unrolled SCF.
        Assert.All(frames, f => Assert.Equal((string)f.Info["macescf_scf_status"] == "converged" ? "implicit" : "unroll", f.Info["macescf_forces_method"]));
        bool anyDiverged = frames.Any(f => (string)f.Info["macescf_scf_status"] == "diverged");
        Assert.Equal(anyDiverged ? 1 : 0, code);
        // The written energy is the model's prediction for that frame alone.
        using var loaded = ModelFile.Load(model);
        var labelled = new LabelExtractor(MaceScf.Cli.Commands.EvalCommand.ParseKeys(Keys)).Extract(ExtXyzReader.ReadAll(data)[0]);
        var options = new ScfOptions { NumScfSteps = 40, MixingParameter = 0.5 };
        var single = new FixedPointCalculator(loaded, options).Calculate(Structure.Of(labelled), CalculatorProperties.Energy);
        Assert.Equal(single.Energy, (double)frames[0].Info["macescf_energy"], 1e-8);
    }

    /// `--kspace_method pme` evaluates the model's periodic electrostatics on the mesh: the log names the setup and the
    /// predictions agree with the direct sum (converged with --kspace_method ewald at the model's cutoff factor 0.8, whose
    /// truncation error is the larger of the two; the bound is that of the truncation).
    [Fact]
    public void KspaceMethodOverridesTheModelsAndIsLogged()
    {
        var model = SaveModel(BoundaryMethod.Pbc);
        var data = Path.Combine("data", "fixtures", "test_configs.xyz");
        string mesh = Path.Combine(_dir, "pme.xyz"), direct = Path.Combine(_dir, "ewald.xyz");
        string[] common = ["eval", model, data, "--keys", Keys, "--num_scf_steps", "3", "--no-forces"];
        var (_, text) = CliRunner.Run([.. common, "-o", mesh, "--kspace_method", "pme", "--electrostatics_accuracy", "1e-5"]);
        output.WriteLine(text);
        Assert.Contains("electrostatics: kspace_method pme: accuracy 1E-05 → spline order", text);
        var (_, ewaldText) = CliRunner.Run([.. common, "-o", direct, "--kspace_method", "ewald"]);
        Assert.Contains("electrostatics: kspace_method ewald: k_c", ewaldText);
        foreach (var (m, d) in ExtXyzReader.ReadAll(mesh).Zip(ExtXyzReader.ReadAll(direct)))
        {
            double em = (double)m.Info["macescf_energy_coulomb"], ed = (double)d.Info["macescf_energy_coulomb"];
            Assert.NotEqual(em, ed);
            Assert.Equal(ed, em, 1e-2 * Math.Abs(ed));
        }
        var (code, usage) = CliRunner.Run([.. common, "-o", mesh, "--kspace_method", "fft"]);
        Assert.Equal(2, code);
        Assert.Contains("unknown kspace method 'fft'", usage);
    }

    /// Converged frames get implicit forces; frames whose SCF stops before converging get unrolled forces, marked in the
    /// output and listed in the summary.
    [Fact]
    public void ForcesMethodIsWrittenAndFallbacksAreReported()
    {
        var model = SaveModel();
        var data = Path.Combine("data", "fixtures", "test_configs.xyz");
        var outPath = Path.Combine(_dir, "out.xyz");
        var (_, text) = CliRunner.Run("eval", model, data, "-o", outPath, "--keys", Keys, "--num_scf_steps", "3", "--batch-size", "3");
        output.WriteLine(text);
        var frames = ExtXyzReader.ReadAll(outPath);
        Assert.All(frames, f => Assert.Equal("max_steps_reached", f.Info["macescf_scf_status"]));
        Assert.All(frames, f => Assert.Equal("unroll", f.Info["macescf_forces_method"]));
        Assert.Contains("forces: implicit for 0 frame(s), unroll for 7", text);
        // One line per reason, naming the first frames only.
        Assert.Contains("unrolled instead of implicit (SCF not converged in their batch): 7 frame(s):", text);
        Assert.Contains("; and 2 more", text);
        (_, text) = CliRunner.Run("eval", model, data, "-o", outPath, "--keys", Keys, "--num_scf_steps", "3", "--forces_method", "unroll");
        Assert.DoesNotContain("unrolled instead of implicit", text);
        Assert.All(ExtXyzReader.ReadAll(outPath), f => Assert.Equal("unroll", f.Info["macescf_forces_method"]));
        (_, text) = CliRunner.Run("eval", model, data, "-o", outPath, "--keys", Keys, "--num_scf_steps", "400", "--mixing_parameter", "0.5");
        output.WriteLine(text);
        Assert.All(ExtXyzReader.ReadAll(outPath), f => Assert.Equal("converged", f.Info["macescf_scf_status"]));
        Assert.All(ExtXyzReader.ReadAll(outPath), f => Assert.Equal("implicit", f.Info["macescf_forces_method"]));
        Assert.Contains("forces: implicit for 7 frame(s), unroll for 0", text);
    }

    /// --scf_mixer anderson gives the energies and forces of linear mixing in fewer updates; a bad mixer or depth is a usage error.
    /// At constant μ: at constant charge this random model's μ* lies 50–230 V from the data's, which both mixers walk at 1 V per update.
    [Fact]
    public void AndersonMixingGivesTheLinearResultsInFewerUpdates()
    {
        var model = SaveModel();
        var data = Path.Combine("data", "fixtures", "test_configs.xyz");
        string linearPath = Path.Combine(_dir, "linear.xyz"), andersonPath = Path.Combine(_dir, "anderson.xyz");
        string[] common = ["--keys", Keys, "--num_scf_steps", "400", "--mixing_parameter", "0.5", "--scf_tolerance", "1e-9", "--constant_charge", "false"];
        var (code, _) = CliRunner.Run(["eval", model, data, "-o", linearPath, .. common]);
        Assert.Equal(0, code);
        (code, var text) = CliRunner.Run(["eval", model, data, "-o", andersonPath, .. common, "--scf_mixer", "anderson", "--anderson_depth", "4"]);
        output.WriteLine(text);
        Assert.Equal(0, code);
        var (linear, anderson) = (ExtXyzReader.ReadAll(linearPath), ExtXyzReader.ReadAll(andersonPath));
        Assert.All(anderson, f => Assert.Equal("converged", f.Info["macescf_scf_status"]));
        int Updates(IEnumerable<Configuration> frames) => frames.Sum(f => Convert.ToInt32(f.Info["macescf_scf_steps"]));
        output.WriteLine($"updates: linear {Updates(linear)}, Anderson {Updates(anderson)}");
        Assert.True(Updates(anderson) * 2 < Updates(linear));
        for (int i = 0; i < linear.Count; i++)
        {
            Assert.Equal((double)linear[i].Info["macescf_energy"], (double)anderson[i].Info["macescf_energy"], 1e-6);
            var (fl, fa) = ((double[,])linear[i].Arrays["macescf_forces"], (double[,])anderson[i].Arrays["macescf_forces"]);
            for (int a = 0; a < fl.GetLength(0); a++)
                for (int d = 0; d < 3; d++) Assert.Equal(fl[a, d], fa[a, d], 1e-6);
        }
        (code, text) = CliRunner.Run("eval", model, data, "-o", andersonPath, "--scf_mixer", "pulay");
        Assert.Equal(2, code);
        Assert.Contains("linear, anderson", text);
        (code, text) = CliRunner.Run("eval", model, data, "-o", andersonPath, "--scf_mixer", "anderson", "--anderson_depth", "0");
        Assert.Equal(2, code);
        Assert.Contains("anderson_depth", text);
    }

    /// A molecule without a box under molecule_in_box, and a duplicated atom under realspace, are errors naming file and
    /// frame, not NaN.
    [Fact]
    public void CoincidentAtomsAreNamedByFileAndFrame()
    {
        var model = SaveModel();
        var data = Path.Combine(_dir, "duplicated.xyz");
        const string water = "O 0 0 0.119262\nH 0 0.763239 -0.477047\nH 0 -0.763239 -0.477047\n";
        File.WriteAllText(data, $"3\ntotal_charge=0\n{water}4\ntotal_charge=0\n{water}H 0 -0.763239 -0.477047\n");
        var (code, text) = CliRunner.Run("eval", model, data, "-o", Path.Combine(_dir, "o.xyz"), "--num_scf_steps", "5");
        output.WriteLine(text);
        Assert.Equal(1, code);
        // The model's mixed_periodic method needs a box for a molecule: the frame without a Lattice is named.
        Assert.Contains("duplicated.xyz, frame 0: the molecule_in_box method needs a cell", Flat(text));
        (code, text) = CliRunner.Run("eval", SaveModel(BoundaryMethod.Realspace), data, "-o", Path.Combine(_dir, "o.xyz"), "--num_scf_steps", "5");
        output.WriteLine(text);
        Assert.Equal(1, code);
        Assert.Contains("duplicated.xyz, frame 1: realspace electrostatics: atoms 2 and 3 are 0 Å apart", Flat(text));
    }

    /// Console text with line breaks (the console's wrapping) as single spaces.
    private static string Flat(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));

    [Fact]
    public void BadInputsGiveClearErrors()
    {
        var broken = Path.Combine(_dir, "broken.macescf");
        File.WriteAllText(broken, "not a model");
        var data = Path.Combine("data", "fixtures", "test_configs.xyz");
        var (code, text) = CliRunner.Run("eval", broken, data, "-o", Path.Combine(_dir, "o.xyz"));
        Assert.Equal(1, code);
        Assert.Contains("not a macescf model file", text);
        (code, text) = CliRunner.Run("eval", broken, data);
        Assert.Equal(2, code);
        Assert.Contains("-o", text);
        (code, text) = CliRunner.Run("eval", broken, data, "-o", "x.xyz", "--initial_density", "random");
        Assert.Equal(1, code);
        Assert.Contains("local_guess", text);
        (code, text) = CliRunner.Run("eval", broken, data, "-o", "x.xyz", "--forces_method", "adjoint");
        Assert.Equal(1, code);
        Assert.Contains("implicit, unroll", text);
        (code, text) = CliRunner.Run("eval", broken, data, "-o", "x.xyz", "--use_autograd_forces", "false");
        Assert.Equal(2, code);
        Assert.Contains("--forces_method unroll", text);
        (code, text) = CliRunner.Run("eval", broken, data, "-o", "x.xyz", "--keys", "energy_key=E");
        Assert.Equal(2, code);
        Assert.Contains("unknown property", text);
    }
}
