using MaceScf.Calculators;
using MaceScf.Tests.Training;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// Stress as a training target of the fixed-point class: the strain derivative through the (direct) SCF step is trained on,
/// reported in the metrics and in the final evaluation.
public sealed class FixedPointStressTrainingTests
{
    [Fact]
    public void The_fixed_point_model_trains_on_the_stress()
    {
        using var run = new TrainingRunFixture(frames: 1);
        string data = PlainMaceTrainingTests.PeriodicTeacherData(run.Folder, 2);
        string heads = PlainMaceTrainingTests.PeriodicHeads.Replace("arrays_keys: {forces: forces}", "arrays_keys: {forces: forces, atomic_multipoles: atomic_multipoles}");
        string yaml = TrainingRunFixture.TinyModel.Replace(TrainingRunFixture.TinyModel[TrainingRunFixture.TinyModel.IndexOf("heads:")..TrainingRunFixture.TinyModel.IndexOf("error_table")], heads)
            + """
            train_schedule:
              0: {name: direct, start: 0, end: 3, lr: 0.03, loss: {atomic_multipoles: 10.0, energy_per_atom: 1.0, forces: 1.0, stress: 1000.0},
                  fixed_point_training_options: {mode: direct}}

            """;
        var config = run.Load(yaml, "--train_file", data, "--valid_fraction", "0.5", "--E0s", "{1: -13.6, 8: -432.1}", "--batch_size", "1");
        var sets = TrainingSets.Load(config.Data, 1);
        var setup = ModelSetup.From(config, sets);
        random.manual_seed(config.Run.Seed);
        using var model = setup.Build(ScalarType.Float64);
        var stage = config.Schedule.Stages[0];
        var trainer = new Trainer(config, sets, model);
        var (before, beforeErrors) = trainer.Evaluate(stage, sets.Train);
        var result = trainer.Run();
        var (after, afterErrors) = trainer.Evaluate(stage, sets.Train);
        Assert.True(after < before, $"train loss {before} → {after}");
        Assert.True(afterErrors["stress"] < beforeErrors["stress"], $"stress RMSE {beforeErrors["stress"]} → {afterErrors["stress"]}");
        Assert.True(MetricsLog.Read(result.MetricsPath)[^1].GetProperty("rmse").GetProperty("train").GetProperty("stress").GetDouble() > 0);
        var final = FinalEvaluation.Run(model, sets, FinalEvaluation.Settings(config), 2).First();
        Assert.All(final.Predictions, p => Assert.NotNull(p.Results.Stress));
    }
}
