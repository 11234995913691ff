using MaceScf.FixedPoint;

namespace MaceScf.Training;

/// One set of the end-of-run evaluation: train, valid or `test <config_type>`, and the final model's predictions on it.
public sealed record EvaluatedSet(string Name, IReadOnlyList<FramePrediction> Predictions);

/// The end-of-run evaluation of `macescf train`: the final model run as at inference, with a converged SCF, on train, valid
/// and each test config_type. Per-epoch validation keeps each stage's own (training) SCF settings.
public static class FinalEvaluation
{
    /// The defaults of <see cref="ScfOptions"/> (num_scf_steps 100, scf_tolerance 1e-6, initial_density local_guess,
    /// initial_fermi_level from_data), with constant_charge, mixing_parameter, scf_mixer and anderson_depth of the last stage
    /// that runs an SCF (the defaults too when every stage is direct).
    public static ScfOptions Settings(TrainSchedule schedule)
    {
        var last = schedule.Stages.LastOrDefault(s => s.FixedPointTrainingOptions.Scf is not null)?.FixedPointTrainingOptions.Scf;
        var inference = new ScfOptions();
        return last is null ? inference : inference with
        {
            ConstantCharge = last.ConstantCharge, MixingParameter = last.MixingParameter, Mixer = last.Mixer, AndersonDepth = last.AndersonDepth,
        };
    }

    /// The settings with their config.yaml names: `num_scf_steps 100, scf_tolerance 1.0E-06, constant_charge true, ...`.
    public static string Describe(ScfOptions o) =>
        $"num_scf_steps {o.NumScfSteps}, scf_tolerance {Scalars.Format(o.ScfTolerance)}, constant_charge {(o.ConstantCharge ? "true" : "false")}, "
        + $"mixing_parameter {Scalars.Format(o.MixingParameter)}"
        + (o.Mixer == ScfMixer.Anderson ? $", scf_mixer anderson, anderson_depth {o.AndersonDepth}" : "") + $", initial_density {SnakeCase.Of(o.InitialDensity)}, "
        + $"initial_fermi_level {SnakeCase.Of(o.InitialFermiLevel)}";

    /// Train, valid and each test config_type (empty sets left out), in batches of <paramref name="batchSize"/>; the frames
    /// done are reported to <paramref name="work"/> after every batch (phase `final evaluation {set}`).
    public static IEnumerable<EvaluatedSet> Run(FixedPointModel model, TrainingSets sets, ScfOptions options, int batchSize,
        IProgress<WorkProgress>? work = null)
    {
        var evaluator = new FrameEvaluator(model, options, batchSize);
        var named = new[] { ("train", sets.Train), ("valid", sets.Valid) }.Concat(sets.Tests.Select(t => ($"test {t.Name}", t.Frames)));
        foreach (var (name, frames) in named)
        {
            if (frames.Count == 0) continue;
            var predictions = new List<FramePrediction>(frames.Count);
            foreach (var prediction in evaluator.Evaluate(frames))
            {
                predictions.Add(prediction);
                if (predictions.Count % batchSize == 0 || predictions.Count == frames.Count)
                    work?.Report(new WorkProgress($"final evaluation {name}", predictions.Count, frames.Count));
            }
            yield return new EvaluatedSet(name, predictions);
        }
    }
}
