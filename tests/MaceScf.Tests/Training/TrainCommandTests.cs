using MaceScf.FixedPoint;
using MaceScf.Tests.Cli;
using MaceScf.Training;
using Xunit.Abstractions;

namespace MaceScf.Tests.Training;

public sealed class TrainCommandTests(ITestOutputHelper testOutput)
{
    [Fact]
    public void The_seed_example_schedule_trains_end_to_end_and_the_model_runs_in_eval()
    {
        using var run = new TrainingRunFixture(frames: 5);
        string config = run.WriteConfig(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll + "ema: true\n");
        var (code, output) = CliRunner.Run("train", "--config", config, "--work_dir", run.Folder, "--test_file", run.TrainFile);
        testOutput.WriteLine(output);
        Assert.True(code == 0, output);
        Assert.Contains("epoch 3/3 stage 1 (unroll, UnrollScf)", output);
        Assert.Contains("test water_cluster (5 frame(s))", output);
        Assert.Contains("SCF 3.0 steps", output);
        Assert.Contains("errors against the reference labels", output);
        // The final table is the model run as at inference, not with the unroll stage's 4 steps from the reference density.
        const string Final = "final errors, SCF as at inference (run to convergence): num_scf_steps 100, scf_tolerance 1.0E-06, constant_charge true, "
            + "mixing_parameter 0.3, initial_density local_guess, initial_fermi_level from_data";
        Assert.Contains(Final, output);
        Assert.Equal(3, output.Split("SCF status").Length - 1);
        string model = Path.Combine(run.Folder, "tiny_run-5.model");
        Assert.Equal(4, MetricsLog.Read(Path.Combine(run.Folder, "results", "tiny_run-5_train.jsonl")).Count);
        string log = File.ReadAllText(Path.Combine(run.Folder, "logs", "tiny_run-5.log"));
        Assert.Contains("train_schedule:", log);
        Assert.Contains("epoch 3/3 stage 1", log);
        Assert.Contains(Final, log);
        foreach (var png in new[] { "tiny_run-5_loss.png", "tiny_run-5_scf.png" })
            Assert.Equal([0x89, (byte)'P', (byte)'N', (byte)'G'], File.ReadAllBytes(Path.Combine(run.Folder, "results", png)).Take(4));
        using (var loaded = ModelFile.Load(model)) Assert.Equal([1, 8], loaded.Hyperparameters.Mace.AtomicNumbers);
        var (evalCode, evalOutput) = CliRunner.Run("eval", model, run.TrainFile, "-o", Path.Combine(run.Folder, "out.xyz"), "--num_scf_steps", "4");
        Assert.True(evalCode is 0 or 1, evalOutput);
        Assert.Contains("energy per atom", evalOutput);
    }

    [Theory]
    [InlineData("--r_maxx", "3.0", "r_max")]
    [InlineData("--batch_size", "0", "batch_size")]
    public void Configuration_errors_exit_with_code_2(string option, string value, string expected)
    {
        using var run = new TrainingRunFixture(frames: 2);
        string config = run.WriteConfig(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll);
        var (code, output) = CliRunner.Run("train", "--config", config, option, value);
        Assert.Equal(2, code);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void A_training_file_without_frames_fails_with_code_1()
    {
        using var run = new TrainingRunFixture(frames: 2);
        File.WriteAllText(run.TrainFile, "");
        string config = run.WriteConfig(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll);
        var (code, output) = CliRunner.Run("train", "--config", config, "--work_dir", run.Folder);
        Assert.Equal(1, code);
        Assert.Contains("train.xyz", output);
        Assert.False(File.Exists(Path.Combine(run.Folder, "tiny_run-5.model")));
    }

    [Fact]
    public void Print_config_renders_the_resolved_configuration()
    {
        using var run = new TrainingRunFixture(frames: 2);
        string config = run.WriteConfig(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll);
        var (code, output) = CliRunner.Run("train", "--config", config, "--print-config", "--lr", "0.5");
        Assert.Equal(0, code);
        Assert.Contains("lr: 0.5", output);
        Assert.Contains("train_schedule:", output);
        Assert.False(Directory.Exists(Path.Combine(run.Folder, "results")));
    }
}
