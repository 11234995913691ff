using System.Diagnostics;
using MaceScf.Data;
using MaceScf.FixedPoint;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// The outcome of a run: the final model (EMA parameters when --ema) and where it and the metrics were written.
public sealed record TrainingResult(FixedPointModel Model, string ModelPath, string MetricsPath, IReadOnlyList<EpochReport> Epochs);

/// The training loop of `macescf train` (spec §2.4–2.5, §4, §7): the stages of train_schedule with their loss, lr and mode;
/// one optimiser for the whole run (schedule-free: train mode for the training batches, eval mode otherwise); gradient clipping, EMA, validation every eval_interval epochs, patience per stage,
/// a checkpoint at every evaluation and restart from the latest one. Progress goes to the callback, never the console.
public sealed class Trainer
{
    private readonly TrainingConfig _config;
    private readonly TrainingSets _sets;
    private readonly RunOptions _run;
    private readonly OptimizerOptions _opt;
    private readonly DataOptions _data;

    public Trainer(TrainingConfig config, TrainingSets sets, FixedPointModel model)
    {
        _config = config;
        _sets = sets;
        _run = config.Run;
        _opt = config.Optimizer;
        _data = config.Data;
        Model = model;
    }

    public FixedPointModel Model { get; }

    public string ModelPath => Path.Combine(_run.ModelDir, $"{_run.Tag}.model");

    public string MetricsPath => Path.Combine(_run.ResultsDir, $"{_run.Tag}_train.jsonl");

    public TrainingResult Run(IProgress<EpochReport>? progress = null, CancellationToken cancel = default)
    {
        var groups = ParameterGroups.Of(Model, _opt);
        using var optimizer = ITrainingOptimizer.Create(groups, _opt);
        using var ema = _opt.Ema ? new ExponentialMovingAverage(Model.parameters(), _opt.EmaDecay) : null;
        var schedule = new LearningRateSchedule(_opt);
        var checkpoint = new Checkpoint(_run.CheckpointsDir, _run.Tag);
        var state = new TrainerState(0, double.PositiveInfinity, 0, false, null, 1.0, double.PositiveInfinity, 0, 0);
        if (_run.RestartLatest && checkpoint.Latest() is { } latest)
        {
            state = checkpoint.Load(latest, Model, optimizer, ema);
            schedule.Restore(state.LrMultiplier, state.SchedulerBest, state.SchedulerBadEpochs);
        }
        else if (File.Exists(MetricsPath)) File.Delete(MetricsPath);
        var metrics = new MetricsLog(MetricsPath);
        var reports = new List<EpochReport>();
        var trainSchedule = _config.Schedule;
        for (int epoch = state.NextEpoch; epoch <= trainSchedule.LastEpoch; epoch++)
        {
            cancel.ThrowIfCancellationRequested();
            var stage = trainSchedule.StageOfEpoch(epoch)!;
            if (epoch == stage.Start)
            {
                schedule.StartStage();
                state = state with { StageBest = double.PositiveInfinity, StagePatience = 0, StageStopped = false };
            }
            else schedule.Step(state.LastValidLoss);
            if (state.StageStopped) continue;
            optimizer.SetLearningRates(groups.Select(g => stage.LrOf(g.Name) * schedule.Multiplier).ToList());
            var watch = Stopwatch.StartNew();
            optimizer.Train();
            var (trainLoss, terms, trainErrors, steps, converged, fallbacks) = TrainEpoch(stage, epoch, optimizer, ema);
            optimizer.Eval();
            var rmse = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["train"] = trainErrors };
            bool evaluate = (epoch - stage.Start + 1) % _run.EvalInterval == 0 || epoch == stage.End;
            bool improved = false;
            double? validLoss = null;
            if (evaluate)
            {
                ema?.Swap();
                (validLoss, var validErrors) = Evaluate(stage, _sets.Valid);
                ema?.Swap();
                rmse["valid"] = validErrors;
                improved = validLoss < state.StageBest;
                int patience = improved ? 0 : state.StagePatience + 1;
                state = state with
                {
                    StageBest = improved ? validLoss.Value : state.StageBest, StagePatience = patience,
                    StageStopped = patience >= _run.Patience, LastValidLoss = validLoss,
                };
            }
            var report = new EpochReport(epoch, trainSchedule.LastEpoch, stage.Index, stage.Name, stage.FixedPointTrainingOptions.Mode,
                optimizer.LearningRates[0], trainLoss, terms, validLoss, rmse, steps, converged, fallbacks, watch.Elapsed.TotalSeconds,
                evaluate, improved);
            metrics.Append(report);
            reports.Add(report);
            if (evaluate)
            {
                state = state with
                {
                    NextEpoch = epoch + 1, LrMultiplier = schedule.Multiplier, SchedulerBest = schedule.Best,
                    SchedulerBadEpochs = schedule.BadEpochs, EmaUpdates = ema?.Updates ?? 0,
                };
                checkpoint.Save(Model, optimizer, ema, state, _run.KeepCheckpoints);
            }
            progress?.Report(report);
        }
        ema?.Swap();
        Directory.CreateDirectory(_run.ModelDir);
        ModelFile.Save(Model, ModelPath);
        return new TrainingResult(Model, ModelPath, MetricsPath, reports);
    }

    /// The training batches of an epoch: a permutation seeded by (seed, epoch), so a restarted run sees the same order;
    /// the last partial batch is dropped unless it is the only one.
    private IEnumerable<LabelledConfiguration[]> Batches(int epoch)
    {
        var order = _sets.Train.ToArray();
        new Random(unchecked(_run.Seed * 1_000_003 + epoch) & int.MaxValue).Shuffle(order);
        int size = _data.BatchSize;
        int count = Math.Max(1, order.Length / size);
        for (int b = 0; b < count; b++) yield return order.Skip(b * size).Take(size).ToArray();
    }

    private (double Loss, IReadOnlyDictionary<string, double> Terms, IReadOnlyDictionary<string, double> Rmse, double? Steps, double? Converged,
        int Fallbacks)
        TrainEpoch(TrainingStage stage, int epoch, ITrainingOptimizer optimizer, ExponentialMovingAverage? ema)
    {
        var errors = new ErrorAccumulator();
        double lossSum = 0;
        var termSums = new Dictionary<string, double>();
        int batches = 0, structures = 0, convergedCount = 0, fallbacks = 0;
        long stepSum = 0;
        bool scf = false;
        var parameters = Model.parameters().ToArray();
        foreach (var frames in Batches(epoch))
        {
            using var scope = NewDisposeScope();
            using var batch = TrainingBatch.Build(frames, Model, _sets.Species);
            optimizer.ZeroGrad();
            var outputs = Forward(stage, batch, training: true);
            var (loss, terms) = TrainingLoss.Compute(stage.Loss, outputs, batch);
            loss.backward();
            if (_opt.ClipGrad is { } clip) nn.utils.clip_grad_norm_(parameters, clip);
            optimizer.Step();
            ema?.Update();
            lossSum += loss.item<double>();
            foreach (var (k, v) in terms) termSums[k] = termSums.GetValueOrDefault(k) + v;
            errors.Add(outputs, batch);
            batches++;
            if (outputs.Fallback) fallbacks++;
            if (outputs.Scf is { } s)
            {
                scf = true;
                structures += s.Steps.Count;
                stepSum += s.Steps.Sum();
                convergedCount += s.Status.Count(x => x == ScfStatus.Converged);
            }
        }
        return (lossSum / batches, termSums.ToDictionary(kv => kv.Key, kv => kv.Value / batches), errors.Rmse(),
            scf ? (double)stepSum / structures : null, scf ? (double)convergedCount / structures : null, fallbacks);
    }

    private TrainingOutputs Forward(TrainingStage stage, TrainingBatch batch, bool training)
    {
        bool forces = TrainingLoss.NeedsForces(stage.Loss) || batch.Frames.Any(f => f.Forces.IsPresent);
        return TrainingForward.Run(Model, batch, stage.FixedPointTrainingOptions, forces, createGraph: training && TrainingLoss.NeedsForces(stage.Loss),
            TrainingLoss.NeedsEsps(stage.Loss), TrainingLoss.NeedsFieldFeatures(stage.Loss),
            stage.FixedPointTrainingOptions.FixedPointScfStability && TrainingLoss.NeedsStability(stage.Loss), training);
    }

    /// The stage's loss (mean over batches) and the RMSEs on a set, in the stage's mode.
    public (double Loss, IReadOnlyDictionary<string, double> Rmse) Evaluate(TrainingStage stage, IReadOnlyList<LabelledConfiguration> frames)
    {
        var errors = new ErrorAccumulator();
        double lossSum = 0;
        int batches = 0;
        for (int start = 0; start < frames.Count; start += _data.ValidBatchSize)
        {
            using var scope = NewDisposeScope();
            using var batch = TrainingBatch.Build(frames.Skip(start).Take(_data.ValidBatchSize).ToArray(), Model, _sets.Species);
            var outputs = Forward(stage, batch, training: false);
            lossSum += TrainingLoss.Compute(stage.Loss, outputs, batch).Total.item<double>();
            errors.Add(outputs, batch);
            batches++;
        }
        return (batches == 0 ? double.NaN : lossSum / batches, errors.Rmse());
    }
}
