using System.Globalization;
using System.Text.RegularExpressions;
using MaceScf.Tests.Cli;
using MaceScf.Training;
using Xunit.Abstractions;

namespace MaceScf.Tests.Training;

/// Issue 13 item 7 (training) and item 11: a training loss that becomes non-finite stops the run naming epoch and frames,
/// keeping the last checkpoint and the model file; the trainer and the final evaluation report their batches.
public sealed class NonFiniteLossTests(ITestOutputHelper testOutput)
{
    [Fact]
    public void A_non_finite_training_loss_stops_the_run_naming_epoch_and_frames_and_keeps_the_last_checkpoint()
    {
        using var run = new TrainingRunFixture(frames: 5);
        string valid = Path.Combine(run.Folder, "valid.xyz");
        File.Copy(run.TrainFile, valid);
        string yaml = TrainingRunFixture.TinyModel.Replace("E0s: average", "E0s: \"{1: 0.0, 8: 0.0}\"");
        (int, string) Train(int end, params string[] options)
        {
            string config = run.WriteConfig(yaml + RestartAndLockTests.DirectSchedule(end));
            var (code, output) = CliRunner.Run(["train", "--config", config, "--work_dir", run.Folder, "--valid_file", valid, .. options]);
            testOutput.WriteLine(output);
            return (code, output);
        }
        Assert.Equal(0, Train(0).Item1);
        string model = Path.Combine(run.Folder, "tiny_run-5.model");
        byte[] before = File.ReadAllBytes(model);
        // Frame 2's energy becomes 1e200: finite, but its squared error overflows.
        var lines = File.ReadAllLines(run.TrainFile);
        int comment = 1;
        for (int frame = 0; frame < 2; frame++) comment += int.Parse(lines[comment - 1], CultureInfo.InvariantCulture) + 2;
        lines[comment] = Regex.Replace(lines[comment], @" energy=\S+", " energy=1e200");
        File.WriteAllLines(run.TrainFile, lines);

        var (code, output) = Train(1, "--restart_latest");

        Assert.Equal(1, code);
        string flat = Regex.Replace(output, @"\s+", " ");
        Assert.Matches($@"error: epoch 1: the training loss is Infinity on the batch of '{Regex.Escape(run.TrainFile)}' frame\(s\) [0-9, ]*\b2\b", flat);
        Assert.Contains($"the last checkpoint, '{Path.Combine(run.Folder, "checkpoints", "tiny_run-5_epoch-0")}', is kept", flat);
        Assert.Equal(["tiny_run-5_epoch-0"], Directory.GetDirectories(Path.Combine(run.Folder, "checkpoints")).Select(Path.GetFileName));
        Assert.Equal(before, File.ReadAllBytes(model));
        Assert.DoesNotContain("NaN", File.ReadAllText(Path.Combine(run.Folder, "results", "tiny_run-5_train.jsonl")));
    }

    [Fact]
    public void The_trainer_and_the_final_evaluation_report_every_batch()
    {
        using var run = new TrainingRunFixture(frames: 5);
        var config = run.Load(TrainingRunFixture.TinyModel + RestartAndLockTests.DirectSchedule(1), "--work_dir", run.Folder);
        var (sets, model) = run.Build(config);
        using var _ = model;
        var reports = new List<WorkProgress>();
        var work = new Recorder(reports);
        new Trainer(config, sets, model).Run(null, default, work);
        // 3 training frames in batches of 2 (the partial batch dropped): 1 batch per epoch; 2 validation frames in one batch of 4.
        Assert.Equal(3, sets.Train.Count);
        Assert.Equal([new("epoch 0/1 training", 1, 1), new("epoch 0/1 validation", 2, 2), new("epoch 1/1 training", 1, 1),
            new("epoch 1/1 validation", 2, 2)], reports);
        reports.Clear();
        var evaluated = FinalEvaluation.Run(model, sets, FinalEvaluation.Settings(config), 2, work).ToList();
        Assert.Equal([new("final evaluation train", 2, 3), new("final evaluation train", 3, 3), new("final evaluation valid", 2, 2)], reports);
        Assert.Equal(2, evaluated.Count);
    }

    sealed class Recorder(List<WorkProgress> reports) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => reports.Add(value);
    }
}
