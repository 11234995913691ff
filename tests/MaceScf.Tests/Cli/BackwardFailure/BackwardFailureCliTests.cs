using System.Text.RegularExpressions;
using MaceScf.FixedPoint;
using MaceScf.Data;
using MaceScf.Tests.Training;
using Xunit.Abstractions;

namespace MaceScf.Tests.Cli.BackwardFailure;

/// The real `macescf eval`, `coulomb` and `train` in a child process whose libtorch cannot allocate inside the backward
/// pass: each must end with exit code 1 and one error naming the file and frame(s), the backward pass and what to change,
/// and write no output (docs/errors.md, "Failures in the backward pass"). The failure is injected by
/// <see cref="AllocationFailureShim"/> (LD_PRELOAD): libtorch's CPU allocator fails when called under the autograd
/// engine and nowhere else, so the forward pass and the .NET runtime are untouched and the test is deterministic.
public sealed class BackwardFailureCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-backward-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// The shim, compiled into a subfolder of this test's folder (so the files of the folder itself are only the test's).
    private string Shim() => AllocationFailureShim.CompileInto(Directory.CreateDirectory(Path.Combine(_dir, "shim")).FullName);

    private (int Code, string Text) Run(params string[] args)
    {
        var (code, text) = CliProcess.Run(args, environment: new Dictionary<string, string>
        {
            ["LD_PRELOAD"] = Shim(), ["OMP_NUM_THREADS"] = "1",
        });
        output.WriteLine(text);
        return (code, Regex.Replace(text, @"\s+", " "));
    }

    /// The first frame of the bundled water clusters, as `water.xyz` in the test folder.
    private string Water()
    {
        string path = Path.Combine(_dir, "water.xyz");
        ExtXyzWriter.Write(path, [ExtXyzReader.ReadAll(Path.Combine(AppContext.BaseDirectory, "data", "fixtures", "test_configs.xyz"))[0]]);
        return path;
    }

    private static void AssertOneCleanError(string text)
    {
        Assert.Single(Regex.Matches(text, "error:"));
        Assert.DoesNotContain("   at ", text);
        Assert.DoesNotContain("Exception", text);
        Assert.DoesNotContain("NaN", text);
        // libtorch's own message, from the injected failure, is quoted.
        Assert.Contains("DefaultCPUAllocator: can't allocate memory", text);
    }

    /// At constant Fermi level the SCF has no backward pass of its own: the first is that of the forces.
    [Fact]
    public void EvalWithForcesEndsWithExitCode1NamingTheFrameAndTheBackwardPassAndWritesNothing()
    {
        string model = SmallModel.Save(_dir), input = Water(), result = Path.Combine(_dir, "out.xyz");
        var (code, text) = Run("eval", model, input, "-o", result, "--constant_charge", "false");
        Assert.True(code == 1, $"exit code {code}: {text}");
        Assert.Contains($"error: {input}, frame 0: out of memory in the backward pass (forces, stress or gradients)", text);
        Assert.Contains("evaluate without forces (--no-forces)", text);
        AssertOneCleanError(text);
        Assert.Equal([model, input], Directory.GetFiles(_dir).Order().ToArray());
    }

    /// The control: under the same shim, an SCF at constant Fermi level without forces has no backward pass and succeeds,
    /// so what fails above is the backward pass alone.
    [Fact]
    public void EvalWithoutForcesAtConstantFermiLevelIsUntouchedByTheInjectedFailure()
    {
        string model = SmallModel.Save(_dir), input = Water(), result = Path.Combine(_dir, "out.xyz");
        var (code, text) = Run("eval", model, input, "-o", result, "--no-forces", "--constant_charge", "false");
        Assert.True(code == 0, $"exit code {code}: {text}");
        var frame = ExtXyzReader.ReadAll(result)[0];
        Assert.True(double.IsFinite((double)frame.Info["macescf_energy"]), text);
        Assert.False(frame.Arrays.ContainsKey("macescf_forces"));
    }

    /// At constant charge the SCF differentiates an update that is not affine in the features with respect to μ (its Fukui
    /// weights; an affine update's are read from its per-atom form): a backward pass even without forces. The error says which,
    /// and does not suggest --no-forces, which would not help.
    [Fact]
    public void EvalWithoutForcesAtConstantChargeNamesTheScfChargeResponse()
    {
        string model = SmallModel.Save(_dir, BlockNames.MLPNonLinearity), input = Water(), result = Path.Combine(_dir, "out.xyz");
        var (code, text) = Run("eval", model, input, "-o", result, "--no-forces");
        Assert.True(code == 1, $"exit code {code}: {text}");
        Assert.Contains($"error: {input}, frame 0: out of memory in the backward pass (the charge response ∂Q/∂μ of the constant-charge SCF)", text);
        Assert.Contains("use a smaller --batch-size or split the structure", text);
        Assert.DoesNotContain("--no-forces", text);
        AssertOneCleanError(text);
        Assert.Equal([model, input], Directory.GetFiles(_dir).Order().ToArray());
    }

    [Fact]
    public void CoulombEndsWithExitCode1NamingTheFrameAndTheBackwardPassAndWritesNothing()
    {
        string input = Water(), result = Path.Combine(_dir, "out.xyz");
        var (code, text) = Run("coulomb", input, "--multipoles-key", "DMA_coeficients", "-o", result);
        Assert.True(code == 1, $"exit code {code}: {text}");
        Assert.Contains($"error: {input}, frame 0: out of memory in the backward pass (forces, stress or gradients)", text);
        Assert.Contains("use a smaller system or cell", text);
        AssertOneCleanError(text);
        Assert.Equal([input], Directory.GetFiles(_dir));
    }

    [Fact]
    public void TrainEndsWithExitCode1NamingTheEpochAndTheBatchAndWritesNoModel()
    {
        using var run = new TrainingRunFixture(frames: 5);
        string config = run.WriteConfig(TrainingRunFixture.TinyModel + RestartAndLockTests.DirectSchedule(1));
        var (code, text) = Run("train", "--config", config, "--work_dir", run.Folder);
        Assert.True(code == 1, $"exit code {code}: {text}");
        Assert.Matches($@"error: epoch 0, the batch of '{Regex.Escape(run.TrainFile)}' frame\(s\) [0-9, ]+: out of memory in the backward pass \(forces, stress or gradients\)", text);
        AssertOneCleanError(text);
        Assert.False(File.Exists(Path.Combine(run.Folder, "tiny_run-5.model")), "a model file was written");
    }
}
