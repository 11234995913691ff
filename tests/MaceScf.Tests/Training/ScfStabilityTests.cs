using MaceScf.FixedPoint;
using MaceScf.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

public sealed class ScfStabilityTests
{
    [Fact]
    public void The_ratio_estimates_the_squared_spectral_radius_of_the_map_jacobian()
    {
        using var run = new TrainingRunFixture(frames: 2, seed: 3);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--valid_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        using var scope = NewDisposeScope();
        using var batch = TrainingBatch.Build(sets.Train.Take(1).ToArray(), model, sets.Species);
        using var geometry = model.Prepare(batch.Inputs);
        var p = batch.Multipoles;
        var mu = batch.FermiLevel.index_select(0, batch.Batch);
        double ratio = ScfStability.Ratio(geometry, p, mu).item<double>();
        long d = p.numel();
        using var one = 1.0.ToScalar();
        var columns = Enumerable.Range(0, (int)d).Select(i =>
            geometry.JacobianVectorProduct(p, mu, zeros(d, dtype: p.dtype).index_fill_(0, tensor(new long[] { i }), one).view_as(p)).flatten()).ToArray();
        var jacobian = stack(columns, 1);
        double sigma = linalg.svdvals(jacobian).max().item<double>();
        double radius = linalg.eigvals(jacobian).abs().max().item<double>();
        Assert.True(radius > 1e-3, $"ρ(J) {radius}");
        Assert.True(ratio <= sigma * sigma * (1 + 1e-9), $"r {ratio} > σ² {sigma * sigma}");
        Assert.Equal(1.0, ratio / (radius * radius), 2);
    }

    [Fact]
    public void Training_the_stability_loss_lowers_the_amplification()
    {
        using var run = new TrainingRunFixture(frames: 3);
        const string schedule = """
            train_schedule:
              0:
                name: stable
                start: 0
                end: 2
                loss: {fixedpoint_scf_stability: {weight: 1.0, offset: 0.0, smooth: 0}}
                lr: 0.01
                fixed_point_training_options: {mode: direct}

            """;
        var config = run.Load(TrainingRunFixture.TinyModel + schedule);
        var (sets, model) = run.Build(config);
        using var _ = model;
        var stage = config.Schedule.Stages[0];
        Assert.True(stage.FixedPointTrainingOptions.FixedPointScfStability);
        var trainer = new Trainer(config, sets, model);
        double before = trainer.Evaluate(stage, sets.Train).Loss;
        trainer.Run();
        double after = trainer.Evaluate(stage, sets.Train).Loss;
        Assert.True(before > 0 && after < 0.9 * before, $"stability loss {before} → {after}");
    }
}
