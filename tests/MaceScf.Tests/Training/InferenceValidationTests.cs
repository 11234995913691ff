using System.Text.Json;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// During training the validation set is also run with the SCF of inference (converged, inference_* settings) every
/// inference_eval_interval epochs and at each stage's end; frames that do not converge are counted and named, never scored.
public sealed class InferenceValidationTests
{
    const string Schedule = """
        train_schedule:
          0:
            name: direct
            start: 0
            end: 4
            loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, energy_per_atom: 10.0, forces: 100.0}
            lr: 0.01
            fixed_point_training_options: {mode: direct}
          1:
            name: unroll
            start: 5
            end: 5
            loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, energy_per_atom: 10.0, forces: 100.0}
            lr: 0.001
            fixed_point_training_options:
              mode: unroll_scf
              scf: {num_scf_steps: 4, constant_charge: false, mixing_parameter: 0.5, initial_density: from_data}

        """;

    static (TrainingResult Result, IReadOnlyList<JsonElement> Metrics) Train(TrainingRunFixture run, string options)
    {
        var config = run.Load(TrainingRunFixture.TinyModel + Schedule + options);
        var (sets, model) = run.Build(config);
        var result = new Trainer(config, sets, model).Run();
        model.Dispose();
        return (result, MetricsLog.Read(result.MetricsPath));
    }

    [Fact]
    public void Inference_validation_runs_every_interval_and_at_each_stage_end_and_is_written_to_the_metrics()
    {
        using var run = new TrainingRunFixture(frames: 4);
        var (result, metrics) = Train(run, "inference_eval_interval: 2\ninference_num_scf_steps: 200\n");
        Assert.Equal([1, 3, 4, 5], result.Epochs.Where(e => e.Inference is not null).Select(e => e.Epoch));
        var last = result.Epochs[^1].Inference!;
        Assert.Equal((1, 1, 0, 0), (last.Frames, last.Converged, last.MaxStepsReached, last.Diverged));
        Assert.True(last.ScfStepsMean > 3 && last.ScfStepsMax < 200, $"{last.ScfStepsMean} updates");
        Assert.True(last.Rmse["forces"] > 0 && last.Rmse["charges"] > 0 && last.Rmse["atomic_dipoles"] > 0);
        Assert.Empty(last.NotConverged);
        var line = metrics[5].GetProperty("inference");
        Assert.Equal(1, line.GetProperty("converged").GetInt32());
        Assert.Equal(last.Rmse["forces"], line.GetProperty("rmse").GetProperty("forces").GetDouble(), 12);
        Assert.Equal(JsonValueKind.Null, metrics[2].GetProperty("inference").ValueKind);
    }

    [Fact]
    public void Frames_that_do_not_converge_are_counted_named_and_left_out_of_the_errors()
    {
        using var run = new TrainingRunFixture(frames: 4);
        var (result, metrics) = Train(run, "inference_eval_interval: 0\ninference_num_scf_steps: 3\ninference_scf_tolerance: 1.0e-12\n");
        Assert.Equal([4, 5], result.Epochs.Where(e => e.Inference is not null).Select(e => e.Epoch));
        var report = result.Epochs[^1].Inference!;
        Assert.Equal((1, 0, 1), (report.Frames, report.Converged, report.MaxStepsReached));
        Assert.Empty(report.Rmse);
        Assert.Equal((2.0, 2), (report.ScfStepsMean, report.ScfStepsMax));
        Assert.Matches(@"^.*train\.xyz.* frame \d+.* \(max_steps_reached after 2 updates\)$", report.NotConverged.Single());
        string warning = result.Epochs[^1].InferenceWarning!;
        Assert.StartsWith("1 of 1 frame(s) did not converge and are left out of the errors: ", warning);
        Assert.Equal(warning, metrics[^1].GetProperty("inference_warning").GetString());
    }

    [Fact]
    public void A_property_worse_at_inference_than_in_the_stage_validation_is_a_divergence()
    {
        var report = new InferenceReport(new Dictionary<string, double> { ["forces"] = 0.637, ["energy_per_atom"] = 0.03 }, 10, 10, 0, 0,
            199, 538, []);
        Assert.Equal("forces RMSE 0.637 at inference vs 0.13 in the stage's validation (4.9×)",
            report.Divergence(new Dictionary<string, double> { ["forces"] = 0.13, ["energy_per_atom"] = 0.025, ["fermi_level"] = 0 }));
        Assert.Null(report.Divergence(new Dictionary<string, double> { ["forces"] = 0.5, ["energy_per_atom"] = 0.03 }));
    }
}
