using MaceScf.Data;
using MaceScf.Calculators;
using MaceScf.Distributed;
using MaceScf.FixedPoint;

namespace MaceScf.Training;

/// One set of the end-of-run evaluation: train, valid or `test &lt;config_type&gt;`, and the final model's predictions on it.
internal sealed record EvaluatedSet(string Name, IReadOnlyList<FramePrediction> Predictions);

/// The end-of-run evaluation of `macescf train`: the final model run as at inference, with a converged SCF, on train, valid
/// and each test config_type. Per-epoch validation keeps each stage's own (training) SCF settings.
internal static class FinalEvaluation
{
    /// The SCF of inference: <see cref="ScfOptions"/> defaults (initial_density local_guess, initial_fermi_level from_data) with
    /// inference_num_scf_steps, inference_scf_tolerance and inference_mixing_parameter, and constant_charge, scf_mixer,
    /// anderson_depth and (unless inference_mixing_parameter is set) mixing_parameter of the last stage that runs an SCF (the
    /// defaults when every stage is direct).
    public static ScfOptions Settings(TrainingConfig config)
    {
        var last = config.Schedule.Stages.LastOrDefault(s => s.FixedPointTrainingOptions.Scf is not null)?.FixedPointTrainingOptions.Scf;
        var inference = new ScfOptions
        {
            NumScfSteps = config.Get(TrainingOptions.InferenceNumScfSteps), ScfTolerance = config.Get(TrainingOptions.InferenceScfTolerance),
        };
        if (last is not null)
            inference = inference with
            {
                ConstantCharge = last.ConstantCharge, MixingParameter = last.MixingParameter, Mixer = last.Mixer, AndersonDepth = last.AndersonDepth,
            };
        return config.Get(TrainingOptions.InferenceMixingParameter) is { } mixing ? inference with { MixingParameter = mixing } : inference;
    }

    /// The settings with their config.yaml names: `num_scf_steps 100, scf_tolerance 1.0E-06, constant_charge true, ...`; with
    /// <paramref name="frames"/> and the model's fermi_level_offset, initial_fermi_level from_data says where frames without a
    /// fermi_level start (at the offset, i.e. a centred zero).
    public static string Describe(ScfOptions o, IEnumerable<LabelledConfiguration>? frames = null, double fermiLevelOffset = 0)
    {
        string text = $"num_scf_steps {o.NumScfSteps}, scf_tolerance {Scalars.Format(o.ScfTolerance)}, constant_charge {(o.ConstantCharge ? "true" : "false")}, "
            + $"mixing_parameter {Scalars.Format(o.MixingParameter)}"
            + (o.Mixer == ScfMixer.Anderson ? $", scf_mixer anderson, anderson_depth {o.AndersonDepth}" : "") + $", initial_density {SnakeCase.Of(o.InitialDensity)}, "
            + $"initial_fermi_level {SnakeCase.Of(o.InitialFermiLevel)}";
        // One pass (a sharded training set is streamed).
        var (count, without) = (frames ?? []).Aggregate((0, 0), (n, f) => (n.Item1 + 1, n.Item2 + (f.FermiLevel.IsPresent ? 0 : 1)));
        if (o.InitialFermiLevel == InitialFermiLevel.FromData && without > 0)
            text += without == count
                ? $" (no frame has a fermi_level: every SCF starts at fermi_level_offset {Scalars.Format(fermiLevelOffset)} V, as with zero)"
                : $" ({without} of {count} frame(s) without a fermi_level start at fermi_level_offset {Scalars.Format(fermiLevelOffset)} V)";
        return text;
    }

    /// Train, valid and each test config_type (empty sets left out), in batches of <paramref name="batchSize"/>; the frames
    /// done are reported to <paramref name="work"/> after every batch (phase `final evaluation {set}`).
    public static IEnumerable<EvaluatedSet> Run(FixedPointModel model, TrainingSets sets, ScfOptions options, int batchSize,
        IProgress<WorkProgress>? work = null) => Run(TrainableModel.Of(model), sets, options, batchSize, work);

    /// As above for a model of any class, through its calculator (<paramref name="options"/> apply to a self-consistent one);
    /// over several <paramref name="ranks"/> each set's batches are shared out (<see cref="ShardedPrediction"/>) and every rank
    /// returns every set's predictions.
    public static IEnumerable<EvaluatedSet> Run(TrainableModel model, TrainingSets sets, ScfOptions options, int batchSize,
        IProgress<WorkProgress>? work = null, ICommunicator? ranks = null)
    {
        var calculator = model.Calculator(options);
        var properties = CalculatorProperties.Energy | CalculatorProperties.Forces
            | (sets.Train.Concat(sets.Valid).Concat(sets.Tests.SelectMany(t => t.Frames)).Any(f => f.Stress.IsPresent || f.Virials.IsPresent)
                ? CalculatorProperties.Stress : 0)
            | (sets.Train.Concat(sets.Valid).Concat(sets.Tests.SelectMany(t => t.Frames)).Any(f => f.Polarizability.IsPresent)
                ? model.Responses & CalculatorProperties.Polarizability : 0)
            | (sets.Train.Concat(sets.Valid).Concat(sets.Tests.SelectMany(t => t.Frames)).Any(f => f.BornCharges.IsPresent)
                ? model.Responses & CalculatorProperties.BornCharges : 0);
        var named = new[] { ("train", sets.Train), ("valid", sets.Valid) }.Concat(sets.Tests.Select(t => ($"test {t.Name}", t.Frames)));
        foreach (var (name, frames) in named)
        {
            if (frames.Count == 0) continue;
            var predictions = new List<FramePrediction>(frames.Count);
            foreach (var prediction in ShardedPrediction.Evaluate(calculator, frames, properties, batchSize, ranks ?? SingleProcess.Instance))
            {
                predictions.Add(prediction);
                if (predictions.Count % batchSize == 0 || predictions.Count == frames.Count)
                    work?.Report(new WorkProgress($"final evaluation {name}", predictions.Count, frames.Count));
            }
            yield return new EvaluatedSet(name, predictions);
        }
    }
}
