using MaceScf.Calculators;
using System.Diagnostics;
using MaceScf.Data;
using MaceScf.Distributed;
using MaceScf.FixedPoint;
using MaceScf.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// <summary>
/// The outcome of a run: the final model (EMA parameters when --ema) and where it and the metrics were written.
/// </summary>
/// <param name="ModelPath">the model file written</param>
/// <param name="MetricsPath">the per-epoch metrics (JSON lines)</param>
/// <param name="Epochs">the report of every epoch run</param>
public sealed record TrainingResult(string ModelPath, string MetricsPath, IReadOnlyList<EpochReport> Epochs)
{
    internal TrainingResult(TrainableModel trained, string modelPath, string metricsPath, IReadOnlyList<EpochReport> epochs)
        : this(modelPath, metricsPath, epochs) => Trained = trained;

    /// The trained model of any class.
    internal TrainableModel Trained { get; } = null!;

    /// <summary>The trained fixed-point model; null when the run trained another class (`--model`), whose model is the file
    /// <see cref="ModelPath"/>.</summary>
    public FixedPointModel? Model => Trained?.Module as FixedPointModel;
}

/// <summary>
/// The training loop of `macescf train` (docs/training.md, "What a run does"): the stages of train_schedule with their loss, lr and mode;
/// one optimiser for the whole run (schedule-free: train mode for the training batches, eval mode otherwise); the stage's
/// frozen parameter groups (<see cref="FrozenParameters"/>); gradient clipping, EMA, validation every eval_interval epochs, patience per stage,
/// a checkpoint at every evaluation and restart from the latest one; every inference_eval_interval epochs and at each stage's end
/// the validation set is also run with the SCF of inference (<see cref="InferenceReport"/>). Progress goes to the callback, never the console.
/// Over several ranks (docs/distributed.md) each global batch is split by atoms, every rank differentiates its shard's share
/// of the global batch's loss, the gradients are summed over the ranks and every rank takes the same step; only rank 0
/// writes files.
/// </summary>
public sealed class Trainer
{
    private readonly TrainingConfig _config;
    private readonly TrainingSets _sets;
    private readonly RunOptions _run;
    private readonly OptimizerOptions _opt;
    private readonly DataOptions _data;
    private readonly ICommunicator _ranks;
    private readonly ScfOptions _inference;

    /// <summary>A trainer of one process.</summary>
    /// <param name="config">the run's options (<see cref="TrainingConfigLoader"/>)</param>
    /// <param name="sets">the data (<see cref="TrainingSets.Load(TrainingConfig)"/>)</param>
    /// <param name="model">the model to train, built from <see cref="ModelSetup.Hyperparameters"/></param>
    /// <exception cref="ArgumentException">the run's `model` is another class than FixedPoint</exception>
    public Trainer(TrainingConfig config, TrainingSets sets, FixedPointModel model) : this(config, sets, FixedPointRun(config, model), null) { }

    static TrainableModel FixedPointRun(TrainingConfig config, FixedPointModel model) => config.Class == ModelClass.FixedPoint
        ? TrainableModel.Of(model)
        : throw new ArgumentException($"model: {config.Class}: the run trains that class, not the fixed-point model given", nameof(model));

    /// <summary>A trainer of one rank of a distributed run, for a model of any class.</summary>
    /// <param name="config">the run's options</param>
    /// <param name="sets">the training, validation and test sets</param>
    /// <param name="model">a model of any class (<see cref="TrainableModel"/>), run only through its door</param>
    /// <param name="ranks">the ranks of a distributed run (every rank holds the same sets and initial model); one process if null</param>
    internal Trainer(TrainingConfig config, TrainingSets sets, TrainableModel model, ICommunicator? ranks = null)
    {
        _ranks = ranks ?? SingleProcess.Instance;
        _config = config;
        _sets = sets;
        _run = config.Run;
        _opt = config.Optimizer;
        _data = config.Data;
        _inference = FinalEvaluation.Settings(config);
        Model = model;
    }

    /// The model being trained (updated in place).
    internal TrainableModel Model { get; }

    /// <summary>Where the final model is written.</summary>
    public string ModelPath => Path.Combine(_run.ModelDir, $"{_run.Tag}.model");

    /// <summary>Where the per-epoch metrics are written (JSON lines).</summary>
    public string MetricsPath => Path.Combine(_run.ResultsDir, $"{_run.Tag}_train.jsonl");

    /// <summary>
    /// Runs the schedule from its start, or after the latest checkpoint with restart_latest. A non-finite training loss or
    /// gradient norm, or a non-finite validation loss, stops the run with an <see cref="InvalidDataException"/> naming the epoch
    /// and the batch's frames, before the optimiser step: no model file is written and the last checkpoint is kept.
    /// </summary>
    /// <param name="progress">called after every epoch</param>
    /// <param name="cancel">stops the run before the next epoch (an <see cref="OperationCanceledException"/>)</param>
    /// <param name="work">called after every training and validation batch</param>
    public TrainingResult Run(IProgress<EpochReport>? progress = null, CancellationToken cancel = default, IProgress<WorkProgress>? work = null)
    {
        var groups = ParameterGroups.Of(Model.Module, _opt);
        using var optimizer = ITrainingOptimizer.Create(groups, _opt);
        using var ema = _opt.Ema ? new ExponentialMovingAverage(Model.Module.parameters(), _opt.EmaDecay) : null;
        var schedule = new LearningRateSchedule(_opt);
        var checkpoint = new Checkpoint(_run.CheckpointsDir, _run.Tag);
        var state = new TrainerState(0, double.PositiveInfinity, 0, false, null, 1.0, double.PositiveInfinity, 0, 0);
        if (Checkpoint.Find(_config) is { } resume)
        {
            state = Checkpoint.Load(resume.Folder, Model.Module, optimizer, ema);
            schedule.Restore(state.LrMultiplier, state.SchedulerBest, state.SchedulerBadEpochs);
        }
        else if (_ranks.Rank == 0 && File.Exists(MetricsPath)) File.Delete(MetricsPath);
        RankAgreement.Check(_ranks, state.NextEpoch, "first epoch (from the latest checkpoint)");
        CheckParameters("initial parameters");
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
            var frozen = FrozenParameters.Apply(Model.Module, stage.Freeze ?? _config.Get(TrainingOptions.Freeze));
            optimizer.Freeze(frozen);
            ema?.Freeze(frozen);
            var watch = Stopwatch.StartNew();
            optimizer.Train();
            var cpu = Process.GetCurrentProcess().TotalProcessorTime;
            var (trainLoss, terms, trainErrors, steps, converged, fallbacks, ranks) = TrainEpoch(stage, epoch, optimizer, ema, work);
            double trainCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
            optimizer.Eval();
            var rmse = new Dictionary<string, IReadOnlyDictionary<string, double>> { ["train"] = trainErrors };
            bool evaluate = (epoch - stage.Start + 1) % _run.EvalInterval == 0 || epoch == stage.End;
            bool improved = false;
            double? validLoss = null;
            InferenceReport? inference = null;
            if (evaluate)
            {
                ema?.Swap();
                (validLoss, var validErrors) = Evaluate(stage, _sets.Valid, work, $"epoch {epoch}/{trainSchedule.LastEpoch} validation");
                rmse["valid"] = validErrors;
                improved = validLoss < state.StageBest;
                int patience = improved ? 0 : state.StagePatience + 1;
                state = state with
                {
                    StageBest = improved ? validLoss.Value : state.StageBest, StagePatience = patience,
                    StageStopped = patience >= _run.Patience, LastValidLoss = validLoss,
                };
                // At the SCF of inference: every inference_eval_interval epochs and at the stage's last epoch (also when patience
                // ends the stage early); the validation batches are shared out over the ranks.
                int interval = _run.InferenceEvalInterval;
                if (Model.SelfConsistent && _sets.Valid.Count > 0
                    && (epoch == stage.End || state.StageStopped || (interval > 0 && (epoch - stage.Start + 1) % interval == 0)))
                    inference = InferenceReport.Of(ShardedPrediction.Evaluate(Model.Calculator(_inference), _sets.Valid,
                        CalculatorProperties.Energy | CalculatorProperties.Forces, _data.ValidBatchSize, _ranks).ToList());
                ema?.Swap();
            }
            var report = new EpochReport(epoch, trainSchedule.LastEpoch, stage.Index, stage.Name, stage.FixedPointTrainingOptions.Mode,
                optimizer.LearningRates[0], trainLoss, terms, validLoss, rmse, steps, converged, fallbacks, watch.Elapsed.TotalSeconds,
                evaluate, improved, ranks, inference, inference?.Divergence(rmse["valid"]), trainCpu);
            if (_ranks.Rank == 0) metrics.Append(report);
            reports.Add(report);
            if (evaluate)
            {
                state = state with
                {
                    NextEpoch = epoch + 1, LrMultiplier = schedule.Multiplier, SchedulerBest = schedule.Best,
                    SchedulerBadEpochs = schedule.BadEpochs, EmaUpdates = ema?.Updates ?? 0,
                };
                CheckParameters($"parameters after epoch {epoch}");
                if (_ranks.Rank == 0) checkpoint.Save(Model.Module, optimizer, ema, state, _config);
            }
            progress?.Report(report);
        }
        ema?.Swap();
        FrozenParameters.Apply(Model.Module, []);
        if (_ranks.Rank == 0)
        {
            Directory.CreateDirectory(_run.ModelDir);
            Model.Save(ModelPath);
        }
        return new TrainingResult(Model, ModelPath, MetricsPath, reports);
    }

    /// The training batches of an epoch, as positions in the training set: a permutation seeded by (seed, epoch), so a
    /// restarted run sees the same order; the last partial batch is dropped unless it is the only one.
    private List<int[]> Batches(int epoch)
    {
        var order = Enumerable.Range(0, _sets.Train.Count).ToArray();
        new Random(unchecked(_run.Seed * 1_000_003 + epoch) & int.MaxValue).Shuffle(order);
        int size = _data.BatchSize;
        int count = Math.Max(1, order.Length / size);
        return Enumerable.Range(0, count).Select(b => order.Skip(b * size).Take(size).ToArray()).ToList();
    }

    private (double Loss, IReadOnlyDictionary<string, double> Terms, IReadOnlyDictionary<string, double> Rmse, double? Steps, double? Converged,
        int Fallbacks, RankStatistics? Ranks)
        TrainEpoch(TrainingStage stage, int epoch, ITrainingOptimizer optimizer, ExponentialMovingAverage? ema, IProgress<WorkProgress>? work)
    {
        var errors = new ErrorAccumulator();
        var parameters = Model.Module.parameters().ToArray();
        var gradients = new GradientSum(_ranks, parameters);
        var batches = Batches(epoch);
        string phase = $"epoch {epoch}/{_config.Schedule.LastEpoch} training";
        // Sums over this rank's shards, summed over the ranks after the epoch: loss, its terms in stage order, structures
        // with an SCF, their SCF updates and converged ones, then one fallback flag per batch.
        var sums = new double[1 + stage.Loss.Count + 3 + batches.Count];
        double imbalance = 0;
        for (int b = 0; b < batches.Count; b++)
        {
            using var scope = NewDisposeScope();
            var (shard, over, split) = TrainingShard(batches[b]);
            imbalance += split.Imbalance;
            optimizer.ZeroGrad();
            try
            {
                if (shard.Length > 0)
                {
                    using var batch = TrainingBatch.Build(shard, Model.Layout, _sets.Species);
                    var request = Request(stage, batch, training: true);
                    var outputs = Model.Model.Predict(batch.Inputs, request);
                    var (loss, terms) = TrainingLoss.Compute(stage.Loss, outputs, batch, over);
                    double lossValue = loss.item<double>();
                    if (!double.IsFinite(lossValue)) throw NonFinite($"epoch {epoch}", "training loss", lossValue, shard);
                    Gradients.Backward(loss);
                    // The adjoint solve of an implicit derivative ran in this backward pass: the model's fall-back policy decides.
                    if (Model.RedoAfterBackward(batch.Inputs, request, outputs) is { } unrolled)
                    {
                        optimizer.ZeroGrad();
                        outputs = unrolled;
                        (loss, terms) = TrainingLoss.Compute(stage.Loss, outputs, batch, over);
                        lossValue = loss.item<double>();
                        if (!double.IsFinite(lossValue)) throw NonFinite($"epoch {epoch}", "training loss", lossValue, shard);
                        Gradients.Backward(loss);
                    }
                    sums[0] += lossValue;
                    for (int k = 0; k < stage.Loss.Count; k++) sums[1 + k] += terms[stage.Loss[k].Name];
                    errors.Add(outputs, batch);
                    if (outputs.Derivation?.FellBack == true) sums[1 + stage.Loss.Count + 3 + b] = 1;
                    if (outputs.Scf is { } s)
                    {
                        sums[1 + stage.Loss.Count] += s.Steps.Count;
                        sums[2 + stage.Loss.Count] += s.Steps.Sum();
                        sums[3 + stage.Loss.Count] += s.Status.Count(x => x == ScfStatus.Converged);
                    }
                }
            }
            catch (Exception e) when (NativeFailure.Is(e))
            {
                throw NativeFailureIn(e, $"epoch {epoch}", shard);
            }
            gradients.Run();
            if (_opt.ClipGrad is { } clip && nn.utils.clip_grad_norm_(parameters, clip) is var norm && !double.IsFinite(norm))
                throw NonFinite($"epoch {epoch}", "gradient norm", norm, _sets.Train is ShardedFrames ? shard : batches[b].Select(p => _sets.Train[p]));
            optimizer.Step();
            ema?.Update();
            work?.Report(new WorkProgress(phase, b + 1, batches.Count));
        }
        _ranks.Sum(sums);
        errors.SumOver(_ranks);
        int n = batches.Count, t = stage.Loss.Count;
        double structures = sums[1 + t];
        var ranks = _ranks.Size == 1 ? null : new RankStatistics(_ranks.Size, imbalance / n, gradients.Communication.TotalSeconds);
        return (sums[0] / n, stage.Loss.Select((term, k) => (term.Name, sums[1 + k] / n)).ToDictionary(), errors.Rmse(),
            structures > 0 ? sums[2 + t] / structures : null, structures > 0 ? sums[3 + t] / structures : null,
            sums.Skip(4 + t).Count(f => f > 0), ranks);
    }

    /// This rank's frames of a global batch (<see cref="BatchSplit"/>) and the batch's size that its loss is normalised by.
    private (LabelledConfiguration[] Shard, LossNormalisation Over, BatchSplit Split) Shard(IReadOnlyList<LabelledConfiguration> frames) =>
        Shard(frames.Select(f => f.Configuration.AtomCount).ToArray(), i => frames[i], BatchSplit.Of);

    /// As above for a training batch given by positions; with shard_data every rank computes the frames it holds.
    private (LabelledConfiguration[] Shard, LossNormalisation Over, BatchSplit Split) TrainingShard(int[] positions)
    {
        if (_sets.Train is not ShardedFrames sharded) return Shard(positions.Select(p => _sets.Train[p]).ToArray());
        return Shard(positions.Select(p => sharded.Atoms[p]).ToArray(), i => sharded[positions[i]],
            (atoms, ranks) => BatchSplit.ByOwner(atoms, positions.Select(sharded.Owner).ToArray(), ranks));
    }

    private (LabelledConfiguration[] Shard, LossNormalisation Over, BatchSplit Split) Shard(int[] atoms, Func<int, LabelledConfiguration> frame,
        Func<IReadOnlyList<int>, int, BatchSplit> split)
    {
        var ranks = split(atoms, _ranks.Size);
        return (ranks.Shards[_ranks.Rank].Select(frame).ToArray(), new LossNormalisation(atoms.Length, atoms.Sum(a => (long)a)), ranks);
    }

    /// Stops the run when a rank's parameters differ from rank 0's (a sum over all parameters, compared bit for bit).
    private void CheckParameters(string what)
    {
        if (_ranks.Size == 1) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        double fingerprint = Model.Module.parameters().Sum(p => p.to_type(ScalarType.Float64).sum().item<double>());
        RankAgreement.Check(_ranks, fingerprint, what);
    }

    /// The stage's request; forces, and the virials, when the loss or the metrics need them.
    private static PredictionRequest Request(TrainingStage stage, TrainingBatch batch, bool training) =>
        TrainingRequest.For(stage, TrainingLoss.NeedsForces(stage.Loss) || batch.Frames.Any(f => f.Forces.IsPresent), training,
            TrainingLoss.NeedsStress(stage.Loss) || batch.Frames.Any(f => f.Stress.IsPresent || f.Virials.IsPresent));

    /// An error naming the epoch, what became non-finite and the batch's frames, and what is kept.
    private InvalidDataException NonFinite(string where, string what, double value, IEnumerable<LabelledConfiguration> frames)
    {
        string? latest = new Checkpoint(_run.CheckpointsDir, _run.Tag).Latest();
        string batch = BatchFrames(frames);
        return new InvalidDataException($"{where}: the {what} is {value} on the batch of {batch}. Training stopped; no model file is "
            + "written and "
            + (latest is null ? "no checkpoint was written yet" : $"the last checkpoint, '{latest}', is kept (resume from it with --restart_latest)")
            + ". Check these frames' labels for huge values, or lower lr (or set clip_grad).");
    }

    /// A failure inside libtorch (out of memory, also in the backward pass: <see cref="Gradients"/>) on a batch, naming its frames.
    private InvalidDataException NativeFailureIn(Exception e, string where, IEnumerable<LabelledConfiguration> frames)
    {
        string? latest = new Checkpoint(_run.CheckpointsDir, _run.Tag).Latest();
        return NativeFailure.InFrames(e, $"{where}, the batch of {BatchFrames(frames)}",
            "lower batch_size (valid_batch_size for validation) or use smaller structures; "
            + (latest is null ? "no checkpoint was written yet" : $"the last checkpoint, '{latest}', is kept (resume from it with --restart_latest)"));
    }

    private static string BatchFrames(IEnumerable<LabelledConfiguration> frames) =>
        string.Join("; ", frames.GroupBy(f => f.Configuration.SourceName ?? "in-memory")
            .Select(g => $"'{g.Key}' frame(s) {string.Join(", ", g.Select(f => f.Configuration.FrameIndex))}"));

    /// The stage's loss (mean over batches) and the RMSEs on a set, in the stage's mode; over several ranks each batch is split
    /// as in training and the sums are reduced, so every rank returns the same values. Each batch is reported to
    /// <paramref name="work"/> under <paramref name="phase"/>.
    internal (double Loss, IReadOnlyDictionary<string, double> Rmse) Evaluate(TrainingStage stage, IReadOnlyList<LabelledConfiguration> frames,
        IProgress<WorkProgress>? work = null, string phase = "validation")
    {
        var errors = new ErrorAccumulator();
        var lossSum = new double[1];
        int batches = 0;
        for (int start = 0; start < frames.Count; start += _data.ValidBatchSize)
        {
            using var scope = NewDisposeScope();
            var (shard, over, _) = Shard(frames.Skip(start).Take(_data.ValidBatchSize).ToArray());
            batches++;
            try
            {
                if (shard.Length > 0)
                {
                    using var batch = TrainingBatch.Build(shard, Model.Layout, _sets.Species);
                    var outputs = Model.Model.Predict(batch.Inputs, Request(stage, batch, training: false));
                    double loss = TrainingLoss.Compute(stage.Loss, outputs, batch, over).Total.item<double>();
                    if (!double.IsFinite(loss)) throw NonFinite(phase, "validation loss", loss, shard);
                    lossSum[0] += loss;
                    errors.Add(outputs, batch);
                }
            }
            catch (Exception e) when (NativeFailure.Is(e))
            {
                throw NativeFailureIn(e, phase, shard);
            }
            work?.Report(new WorkProgress(phase, Math.Min(start + _data.ValidBatchSize, frames.Count), frames.Count));
        }
        _ranks.Sum(lossSum);
        errors.SumOver(_ranks);
        return (batches == 0 ? double.NaN : lossSum[0] / batches, errors.Rmse());
    }
}
