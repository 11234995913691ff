using System.Text.Json;
using System.Text.Json.Serialization;
using MaceScf.FixedPoint;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// The trainer's position and counters, saved with every checkpoint (docs/training.md, "Checkpoints and restart").
/// <param name="NextEpoch">the first epoch still to run</param>
/// <param name="StageBest">the stage's lowest validation loss so far (early stopping)</param>
/// <param name="StagePatience">evaluations since that loss improved</param>
/// <param name="StageStopped">the stage stopped early (patience exhausted)</param>
/// <param name="LastValidLoss">the last validation loss, or null before the first evaluation</param>
/// <param name="LrMultiplier">the learning-rate scheduler's factor on the stage's rates</param>
/// <param name="SchedulerBest">the scheduler's lowest validation loss</param>
/// <param name="SchedulerBadEpochs">the scheduler's epochs without improvement</param>
/// <param name="EmaUpdates">updates of the exponential moving average so far</param>
internal sealed record TrainerState(int NextEpoch, double StageBest, int StagePatience, bool StageStopped, double? LastValidLoss,
    double LrMultiplier, double SchedulerBest, int SchedulerBadEpochs, long EmaUpdates);

/// Where a run resumes: the latest checkpoint folder, its last finished epoch, and the options that differ from those it was
/// written with (empty unless restart_accept_changes allowed them).
internal sealed record ResumePoint(string Folder, int Epoch, IReadOnlyList<string> ChangedOptions);

/// Checkpoints: one folder per evaluation, `{tag}_epoch-{e}`, holding the raw (non-EMA) parameters, the optimiser state,
/// the EMA shadow, the trainer state and the run's options (<see cref="CheckpointOptions"/>) (schedule-free: the evaluation point x, since the optimiser is in eval mode). A folder is written under a temporary name and renamed, so a killed run leaves
/// either a whole checkpoint or none.
internal sealed class Checkpoint(string directory, string tag)
{
    /// With restart_latest, the latest checkpoint of the run, or null (restart_latest off, or no checkpoint yet). Options that
    /// differ from the checkpoint's are a <see cref="ConfigurationException"/> naming them, unless restart_accept_changes.
    public static ResumePoint? Find(TrainingConfig config)
    {
        var run = config.Run;
        if (!run.RestartLatest) return null;
        var checkpoint = new Checkpoint(run.CheckpointsDir, run.Tag);
        if (checkpoint.Latest() is not { } folder) return null;
        int epoch = checkpoint.Folders().Max(f => f.Epoch);
        var changed = CheckpointOptions.Differences(folder, config);
        if (changed.Count > 0 && !run.RestartAcceptChanges)
            throw new ConfigurationException($"checkpoint '{folder}'", null, null, "",
                "restart_latest: this run's options differ from those the checkpoint was written with:\n  " + string.Join("\n  ", changed)
                + "\nRun with the checkpoint's options, add --restart_accept_changes to resume with the new ones, or drop restart_latest "
                + "(or give another name, seed or work_dir) to start afresh.");
        return new ResumePoint(folder, epoch, changed);
    }

    private const string Prefix = "_epoch-";

    private static readonly JsonSerializerOptions Json = new() { NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals };

    /// The newest complete checkpoint folder, or null.
    public string? Latest() => Folders().OrderBy(f => f.Epoch).Select(f => f.Path).LastOrDefault();

    public void Save(nn.Module model, ITrainingOptimizer optimizer, ExponentialMovingAverage? ema, TrainerState state, TrainingConfig config)
    {
        Directory.CreateDirectory(directory);
        string final = Path.Combine(directory, $"{tag}{Prefix}{state.NextEpoch - 1}");
        string temp = final + ".tmp";
        if (Directory.Exists(temp)) Directory.Delete(temp, true);
        Directory.CreateDirectory(temp);
        model.save(Path.Combine(temp, "model.pt"));
        optimizer.Save(temp);
        if (ema is not null) WriteTensors(Path.Combine(temp, "ema.bin"), ema.Shadow);
        File.WriteAllText(Path.Combine(temp, "state.json"), JsonSerializer.Serialize(state, Json));
        CheckpointOptions.Write(temp, config);
        CheckpointChecksums.Write(temp);
        if (Directory.Exists(final)) Directory.Delete(final, true);
        Directory.Move(temp, final);
        if (!config.Run.KeepCheckpoints)
            foreach (var old in Folders().Where(f => f.Path != final)) Directory.Delete(old.Path, true);
    }

    public static TrainerState Load(string folder, nn.Module model, ITrainingOptimizer optimizer, ExponentialMovingAverage? ema)
    {
        CheckpointChecksums.Verify(folder);
        try
        {
            model.load(Path.Combine(folder, "model.pt"));
            optimizer.Load(folder);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"checkpoint '{folder}' does not fit this model ({e.Message}): it was written by a model of "
                + "another architecture. Start afresh without restart_latest (or with another name, seed or work_dir), or delete the "
                + "checkpoint folder.", e);
        }
        var state = JsonSerializer.Deserialize<TrainerState>(File.ReadAllText(Path.Combine(folder, "state.json")), Json)
            ?? throw new InvalidDataException($"'{folder}': empty trainer state");
        ema?.Load(ReadTensors(Path.Combine(folder, "ema.bin"), ema.Shadow), state.EmaUpdates);
        return state;
    }

    private IEnumerable<(string Path, int Epoch)> Folders() => !Directory.Exists(directory)
        ? []
        : Directory.GetDirectories(directory, $"{tag}{Prefix}*")
            .Select(d => (d, Name: Path.GetFileName(d)[(tag.Length + Prefix.Length)..]))
            .Where(t => int.TryParse(t.Name, out _))
            .Select(t => (t.d, int.Parse(t.Name)));

    private static void WriteTensors(string path, IReadOnlyList<Tensor> tensors)
    {
        using var writer = new BinaryWriter(File.Create(path));
        foreach (var t in tensors)
            foreach (double v in t.to_type(ScalarType.Float64).contiguous().data<double>()) writer.Write(v);
    }

    private static Tensor[] ReadTensors(string path, IReadOnlyList<Tensor> like)
    {
        using var reader = new BinaryReader(File.OpenRead(path));
        return like.Select(t => tensor(Enumerable.Range(0, (int)t.numel()).Select(_ => reader.ReadDouble()).ToArray(), dtype: ScalarType.Float64)
            .view(t.shape).to_type(t.dtype)).ToArray();
    }
}
