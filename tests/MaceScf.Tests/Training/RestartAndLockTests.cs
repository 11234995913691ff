using MaceScf.Tests.Cli;
using MaceScf.Training;
using Xunit.Abstractions;

namespace MaceScf.Tests.Training;

/// Issue 13 items 1, 8 and 9: restart_latest off by default, a restart with changed options refused (naming them) unless
/// restart_accept_changes, a resumed run saying so, an architecture change naming the checkpoint, one run per tag at a time.
public sealed class RestartAndLockTests(ITestOutputHelper testOutput)
{
    public static string DirectSchedule(int end) => $$"""
        train_schedule:
          0:
            name: direct
            start: 0
            end: {{end}}
            loss: {energy_per_atom: 1.0, forces: 1.0, atomic_multipoles: 1.0}
            lr: 0.01
            fixed_point_training_options: {mode: direct}

        """;

    (int Code, string Output) Train(TrainingRunFixture run, int end, params string[] options)
    {
        string config = run.WriteConfig(TrainingRunFixture.TinyModel + DirectSchedule(end));
        var (code, output) = CliRunner.Run(["train", "--config", config, "--work_dir", run.Folder, .. options]);
        testOutput.WriteLine(output);
        return (code, output);
    }

    static int[] Epochs(TrainingRunFixture run) =>
        MetricsLog.Read(Path.Combine(run.Folder, "results", "tiny_run-5_train.jsonl")).Select(m => m.GetProperty("epoch").GetInt32()).ToArray();

    string ModelFile(TrainingRunFixture run) => Path.Combine(run.Folder, "tiny_run-5.model");

    [Fact]
    public void Restart_latest_is_off_by_default_so_a_rerun_trains_afresh()
    {
        Assert.False(TrainingOptions.RestartLatest.Default);
        using var run = new TrainingRunFixture(frames: 4);
        Assert.Equal(0, Train(run, 0).Code);
        var (code, output) = Train(run, 0, "--weight_decay", "0.5");
        Assert.Equal(0, code);
        Assert.DoesNotContain("resuming", output);
        Assert.Contains("epoch 0/0", output);
        Assert.Equal([0], Epochs(run));
    }

    [Fact]
    public void A_restart_with_changed_options_is_refused_naming_them_and_keeps_the_model()
    {
        using var run = new TrainingRunFixture(frames: 4);
        Assert.Equal(0, Train(run, 0).Code);
        byte[] model = File.ReadAllBytes(ModelFile(run));
        var (code, output) = Train(run, 0, "--restart_latest", "--batch_size", "1", "--weight_decay", "0.5");
        Assert.Equal(2, code);
        Assert.Contains("tiny_run-5_epoch-0", output);
        Assert.Contains("batch_size: 2 → 1", output);
        Assert.Contains("weight_decay: 5.0E-07 → 0.5", output);
        Assert.Contains("--restart_accept_changes", output);
        Assert.DoesNotContain("epoch 0/0", output);
        Assert.Equal(model, File.ReadAllBytes(ModelFile(run)));
        Assert.Equal([0], Epochs(run));
    }

    [Fact]
    public void Extending_the_schedule_resumes_and_says_from_where()
    {
        using var run = new TrainingRunFixture(frames: 4);
        Assert.Equal(0, Train(run, 0).Code);
        var (code, output) = Train(run, 1, "--restart_latest");
        Assert.Equal(0, code);
        Assert.Contains("resuming from checkpoint " + Path.Combine(run.Folder, "checkpoints", "tiny_run-5_epoch-0")
            + ": epoch 0 done, continuing at epoch 1 of 1", output);
        Assert.DoesNotContain("epoch 0/1", output);
        Assert.Contains("epoch 1/1", output);
        Assert.Equal([0, 1], Epochs(run));
    }

    [Fact]
    public void Accepted_changes_are_listed_and_an_architecture_change_names_the_checkpoint()
    {
        using var run = new TrainingRunFixture(frames: 4);
        Assert.Equal(0, Train(run, 0).Code);
        var (code, output) = Train(run, 1, "--restart_latest", "--restart_accept_changes", "--batch_size", "1");
        Assert.Equal(0, code);
        Assert.Contains("warning: restart_accept_changes: batch_size: 2 → 1", output);
        Assert.Contains("continuing at epoch 1 of 1", output);
        (code, output) = Train(run, 2, "--restart_latest", "--restart_accept_changes", "--num_channels", "3");
        Assert.Equal(1, code);
        Assert.Contains("checkpoint '" + Path.Combine(run.Folder, "checkpoints", "tiny_run-5_epoch-1") + "' does not fit this model", output);
        Assert.Contains("Start afresh without restart_latest", output);
        Assert.DoesNotContain("Mismatched tensor shape while loading.", output.Split("does not fit")[0]);
    }

    [Fact]
    public void A_second_run_of_the_same_tag_fails_at_once_naming_the_holder()
    {
        using var run = new TrainingRunFixture(frames: 4);
        using (var held = RunLock.Acquire(run.Folder, "tiny_run-5"))
        {
            var (code, output) = Train(run, 0);
            Assert.Equal(1, code);
            Assert.Contains($"run 'tiny_run-5' in '{run.Folder}' is in use by another macescf train (PID {Environment.ProcessId}", output);
            Assert.DoesNotContain("epoch", output);
            Assert.False(Directory.Exists(Path.Combine(run.Folder, "checkpoints")));
        }
        Assert.False(File.Exists(Path.Combine(run.Folder, "tiny_run-5.lock")));
    }

    [Fact]
    public void A_lock_file_left_by_a_killed_run_does_not_block()
    {
        using var run = new TrainingRunFixture(frames: 4);
        File.WriteAllText(Path.Combine(run.Folder, "tiny_run-5.lock"), "999999999");
        Assert.Equal(0, Train(run, 0).Code);
        Assert.False(File.Exists(Path.Combine(run.Folder, "tiny_run-5.lock")));
    }
}
