using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// The end-of-run errors of `macescf train` come from the final model run as at inference (a converged SCF from the local
/// guess), not from the last stage's short training SCF.
public sealed class FinalEvaluationTests
{
    static TrainingConfig Config(string stages, string options = "") =>
        ConfigFixture.Load(ConfigFixture.Required + options + "train_schedule:\n" + stages);

    const string Direct = """
          0: {name: direct, start: 0, end: 1, loss: {forces: 1.0}, fixed_point_training_options: {mode: direct}}

        """;

    [Fact]
    public void Settings_are_the_inference_defaults_with_the_last_scf_stage_charge_mode_and_mixing()
    {
        var settings = FinalEvaluation.Settings(Config(Direct + """
              1:
                name: unroll
                start: 2
                end: 3
                loss: {forces: 1.0}
                fixed_point_training_options:
                  mode: unroll_scf
                  scf: {num_scf_steps: 4, scf_tolerance: 0.01, constant_charge: false, mixing_parameter: 0.3, initial_density: from_data,
                        initial_fermi_level: zero, use_autograd_forces: false}
              2: {name: tail, start: 4, end: 4, loss: {forces: 1.0}, fixed_point_training_options: {mode: direct}}

            """));
        Assert.Equal(new ScfOptions { ConstantCharge = false, MixingParameter = 0.3 }, settings);
        Assert.Equal((100, 1e-6, InitialDensity.LocalGuess, InitialFermiLevel.FromData, true),
            (settings.NumScfSteps, settings.ScfTolerance, settings.InitialDensity, settings.InitialFermiLevel, settings.UseAutogradForces));
        Assert.Equal("num_scf_steps 100, scf_tolerance 1.0E-06, constant_charge false, mixing_parameter 0.3, initial_density local_guess, "
            + "initial_fermi_level from_data", FinalEvaluation.Describe(settings));
    }

    [Fact]
    public void A_schedule_without_scf_stages_is_evaluated_with_the_scf_defaults() =>
        Assert.Equal(new ScfOptions(), FinalEvaluation.Settings(Config(Direct)));

    [Fact]
    public void The_inference_options_set_the_step_limit_tolerance_and_mixing()
    {
        const string Unroll = """
              1:
                name: unroll
                start: 2
                end: 3
                loss: {forces: 1.0}
                fixed_point_training_options: {mode: unroll_scf, scf: {num_scf_steps: 4, constant_charge: false, mixing_parameter: 0.3}}

            """;
        var settings = FinalEvaluation.Settings(Config(Direct + Unroll,
            "inference_num_scf_steps: 300\ninference_scf_tolerance: 1.0e-7\ninference_mixing_parameter: 0.15\n"));
        Assert.Equal(new ScfOptions { NumScfSteps = 300, ScfTolerance = 1e-7, ConstantCharge = false, MixingParameter = 0.15 }, settings);
        Assert.Equal(0.3, FinalEvaluation.Settings(Config(Direct + Unroll, "inference_num_scf_steps: 300\n")).MixingParameter);
    }

    [Fact]
    public void The_printed_initial_fermi_level_says_where_frames_without_a_fermi_level_start()
    {
        using var run = new TrainingRunFixture(frames: 2);
        List<LabelledConfiguration> Frames(string yaml)
        {
            var config = run.Load(yaml + TrainingRunFixture.DirectThenUnroll);
            var sets = TrainingSets.Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL));
            return [.. sets.Train, .. sets.Valid];
        }
        var withFermi = Frames(TrainingRunFixture.TinyModel);
        Assert.All(withFermi, f => Assert.True(f.FermiLevel.IsPresent));
        var options = new ScfOptions();
        Assert.EndsWith("initial_fermi_level from_data", FinalEvaluation.Describe(options, withFermi, -1.5));
        var without = Frames(TrainingRunFixture.TinyModel.Replace("fermi_level: fermi_level, ", ""));
        Assert.EndsWith("initial_fermi_level from_data (no frame has a fermi_level: every SCF starts at fermi_level_offset -1.5 V, as with zero)",
            FinalEvaluation.Describe(options, without, -1.5));
        Assert.EndsWith("initial_fermi_level from_data (2 of 4 frame(s) without a fermi_level start at fermi_level_offset 0.0 V)",
            FinalEvaluation.Describe(options, [.. withFermi, .. without], 0));
    }

    [Fact]
    public void A_tiny_run_is_evaluated_to_convergence_on_every_set()
    {
        using var run = new TrainingRunFixture(frames: 4);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll.Replace("constant_charge: true", "constant_charge: false"),
            "--test_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        new Trainer(config, sets, model).Run();
        var options = FinalEvaluation.Settings(config);
        var evaluated = FinalEvaluation.Run(model, sets, options, config.Data.ValidBatchSize).ToList();
        Assert.Equal(["train", "valid", "test water_cluster"], evaluated.Select(s => s.Name));
        Assert.Equal([3, 1, 4], evaluated.Select(s => s.Predictions.Count));
        Assert.All(evaluated.SelectMany(s => s.Predictions), p =>
        {
            Assert.Equal(ScfStatus.Converged, p.Results.Status);
            Assert.True(p.Results.Steps > 3 && p.Results.History[^1] < options.ScfTolerance, $"{p.Results.Steps} updates, last change {p.Results.History[^1]:E2}");
        });
    }
}
