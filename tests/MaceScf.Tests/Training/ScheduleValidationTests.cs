using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// The train_schedule rules of the seed and of the Python pipeline (docs/configuration.md, "`train_schedule`").
public class ScheduleValidationTests
{
    static string Schedule(string stages) => ConfigFixture.Required + "train_schedule:\n" + stages;

    const string Direct0 = "  0: {name: d, start: 0, end: 9, loss: {forces: 1.0}, fixed_point_training_options: {mode: direct}}\n";

    static string Stage1(string fixedPoint, string range = "start: 10, end: 19", string loss = "{forces: 1.0}") =>
        $"  1: {{name: s, {range}, loss: {loss}, fixed_point_training_options: {fixedPoint}}}\n";

    static ConfigurationException Fails(string yaml, params string[] args) => ConfigFixture.Fails(yaml, args);

    [Fact]
    public void Direct_has_no_scf_block()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct, scf: {num_scf_steps: 5, mixing_parameter: 0.3}}")));
        Assert.Equal("train_schedule.1.fixed_point_training_options.scf", e.KeyPath);
        Assert.Equal(10, e.Line);
        Assert.Contains("mode direct does not run an SCF loop and must not have an scf block", e.Message);
    }

    [Theory]
    [InlineData("unroll_scf", "{num_scf_steps: 10}", "mixing_parameter")]
    [InlineData("unroll_scf", "{mixing_parameter: 0.3}", "num_scf_steps")]
    [InlineData("implicit", "{mixing_parameter: 0.3, constant_charge: false}", "num_scf_steps")]
    [InlineData("implicit", "{num_scf_steps: 10}", "mixing_parameter")]
    [InlineData("linearize_solve", "{num_scf_steps: 10}", "mixing_parameter")]
    public void Scf_modes_must_set_num_scf_steps_and_mixing_parameter(string mode, string scf, string missing)
    {
        var e = Fails(Schedule(Direct0 + Stage1($"{{mode: {mode}, scf: {scf}}}")));
        Assert.Equal($"train_schedule.1.fixed_point_training_options.scf.{missing}", e.KeyPath);
        Assert.Contains($"mode {mode} must set {missing} explicitly in the scf block", e.Message);
    }

    [Fact]
    public void Scf_modes_need_an_scf_block()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: unroll_scf}")));
        Assert.Contains("mode unroll_scf needs an scf block that sets num_scf_steps and mixing_parameter", e.Message);
    }

    [Fact]
    public void Unknown_mode_is_suggested()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: unroll, scf: {num_scf_steps: 5, mixing_parameter: 0.3}}")));
        Assert.Equal("train_schedule.1.fixed_point_training_options.mode", e.KeyPath);
        Assert.Contains("'unroll' is not one of direct, unroll_scf, implicit, linearize_solve (did you mean 'unroll_scf'?)", e.Message);
    }

    [Fact]
    public void Stages_are_keyed_0_to_n_minus_1_in_order()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct}").Replace("  1:", "  2:")));
        Assert.Equal("train_schedule.2", e.KeyPath);
        Assert.Contains("stages must be keyed 0, 1, ..., n-1 in order; expected 1, got '2'", e.Message);
    }

    [Fact]
    public void Stage_0_starts_at_epoch_0()
    {
        var e = Fails(Schedule(Direct0.Replace("start: 0", "start: 1")));
        Assert.Contains("stage 0 must start at epoch 0, got 1", e.Message);
    }

    [Theory]
    [InlineData("start: 9, end: 19")]
    [InlineData("start: 5, end: 19")]
    [InlineData("start: 11, end: 19")]
    public void Stages_follow_each_other_without_overlap_or_gap(string range)
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct}", range)));
        Assert.Equal("train_schedule.1.start", e.KeyPath);
        Assert.Contains("but stage 0 ends at epoch 9 (inclusive); stages must not overlap or leave gaps: start it at 10", e.Message);
    }

    [Fact]
    public void End_is_not_before_start()
    {
        var e = Fails(Schedule(Direct0.Replace("end: 9", "end: -1")));
        Assert.Contains("must be at least 0", e.Message);
        var reversed = Fails(Schedule(Direct0 + Stage1("{mode: direct}", "start: 10, end: 8")));
        Assert.Equal("train_schedule.1.end", reversed.KeyPath);
        Assert.Contains("end (8) must not be before start (10); end is inclusive", reversed.Message);
    }

    [Fact]
    public void A_single_epoch_stage_is_allowed()
    {
        var config = ConfigFixture.Load(Schedule(Direct0 + Stage1("{mode: direct}", "start: 10, end: 10")));
        Assert.Equal(1, config.Schedule.Stages[1].EpochCount);
    }

    [Fact]
    public void Loss_names_are_known_with_suggestions()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct}", loss: "{energy_per_atm: 1.0}")));
        Assert.Equal("train_schedule.1.loss.energy_per_atm", e.KeyPath);
        Assert.Contains("unknown loss 'energy_per_atm' (did you mean 'energy_per_atom'?)", e.Message);
    }

    [Fact]
    public void Loss_weights_are_non_negative_numbers()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct}", loss: "{forces: -1.0}")));
        Assert.Equal("train_schedule.1.loss.forces", e.KeyPath);
        Assert.Contains("must be at least 0, got -1.0", e.Message);
        Assert.Contains("expected a number, got 'heavy'", Fails(Schedule(Direct0 + Stage1("{mode: direct}", loss: "{forces: heavy}"))).Message);
    }

    [Fact]
    public void Every_seed_loss_name_is_accepted_with_integer_or_float_weights_and_options()
    {
        var config = ConfigFixture.Load(Schedule(Direct0 + Stage1("{mode: direct}", loss:
            "{atomic_multipoles: 1, total_charge_per_atom: 1.0, dipole_per_atom: 1.0, fermi_level_per_atom: 1.0, energy_per_atom: 1.0, " +
            "forces: 1.0, esps: 1.0, field_features: 1.0, fixedpoint_scf_stability: {weight: 0.5, beta: 2.0}}")),
            "--return_electrostatic_potentials");
        var stage = config.Schedule.Stages[1];
        Assert.Equal(9, stage.Loss.Count);
        Assert.Equal(1.0, stage.Loss[0].Weight);
        var stability = stage.Loss.Single(t => t.Name == "fixedpoint_scf_stability");
        Assert.Equal(0.5, stability.Weight);
        Assert.Equal([new KeyValuePair<string, double>("beta", 2.0)], stability.Options);
        Assert.True(stage.FixedPointTrainingOptions.FixedPointScfStability);
    }

    [Fact]
    public void Loss_options_are_checked()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct}", loss: "{forces: {weight: 1.0, smooth: 1.0}}")));
        Assert.Contains("unknown option of loss forces 'smooth'", e.Message);
        Assert.Contains("needs a weight", Fails(Schedule(Direct0 + Stage1("{mode: direct}", loss: "{fixedpoint_scf_stability: {beta: 1.0}}"))).Message);
    }

    [Fact]
    public void Esps_loss_needs_the_potentials_returned()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct}", loss: "{esps: 1.0}")));
        Assert.Equal("train_schedule", e.KeyPath);
        Assert.Contains("stage 1 (s) uses the esps loss, which needs return_electrostatic_potentials: true", e.Message);
    }

    [Fact]
    public void Flat_scf_keys_must_be_nested()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: unroll_scf, num_scf_steps: 10}")));
        Assert.Equal("train_schedule.1.fixed_point_training_options.num_scf_steps", e.KeyPath);
        Assert.Contains("must be nested under scf", e.Message);
    }

    [Fact]
    public void Unknown_scf_and_stage_keys_are_suggested()
    {
        var scf = Fails(Schedule(Direct0 + Stage1("{mode: unroll_scf, scf: {num_scf_steps: 10, mixing_paramter: 0.3}}")));
        Assert.Contains("unknown scf key 'mixing_paramter' (did you mean 'mixing_parameter'?)", scf.Message);
        var stage = Fails(Schedule(Direct0.Replace("loss:", "los:")));
        Assert.Contains("unknown stage key 'los' (did you mean 'loss'?)", stage.Message);
    }

    [Fact]
    public void Scf_values_are_range_checked()
    {
        Assert.Contains("must be at most 1, got 1.5",
            Fails(Schedule(Direct0 + Stage1("{mode: unroll_scf, scf: {num_scf_steps: 10, mixing_parameter: 1.5}}"))).Message);
        Assert.Contains("must be greater than 0, got 0",
            Fails(Schedule(Direct0 + Stage1("{mode: unroll_scf, scf: {num_scf_steps: 10, mixing_parameter: 0}}"))).Message);
        Assert.Contains("must be at least 1, got 0",
            Fails(Schedule(Direct0 + Stage1("{mode: unroll_scf, scf: {num_scf_steps: 0, mixing_parameter: 0.3}}"))).Message);
        Assert.Contains("'guess' is not one of local_guess, from_data",
            Fails(Schedule(Direct0 + Stage1("{mode: unroll_scf, scf: {num_scf_steps: 9, mixing_parameter: 0.3, initial_density: guess}}"))).Message);
    }

    [Fact]
    public void Stage_needs_its_required_keys()
    {
        var e = Fails(Schedule("  0: {name: d, start: 0, end: 9, loss: {forces: 1.0}}\n"));
        Assert.Equal("train_schedule.0", e.KeyPath);
        Assert.Contains("stage 0 needs 'fixed_point_training_options'", e.Message);
        Assert.Contains("stage 0 needs 'loss'", Fails(Schedule("  0: {name: d, start: 0, end: 9, fixed_point_training_options: {mode: direct}}\n")).Message);
    }

    [Fact]
    public void Deprecated_flat_options_are_rejected_with_the_new_form()
    {
        var e = Fails(Schedule("  0: {name: d, start: 0, end: 9, loss: {forces: 1.0}, scf_training_options: {mode: direct}}\n"));
        Assert.Contains("write fixed_point_training_options with mode and a nested scf block", e.Message);
    }

    [Fact]
    public void Normal_cg_only_with_implicit()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: linearize_solve, linear_solve: normal_cg, scf: {num_scf_steps: 10, mixing_parameter: 0.3}}")));
        Assert.Contains("normal_cg is only available with mode implicit, not linearize_solve", e.Message);
        var ok = ConfigFixture.Load(Schedule(Direct0 + Stage1("{mode: implicit, linear_solve: normal_cg, scf: {num_scf_steps: 10, mixing_parameter: 0.3}}")));
        Assert.Equal(LinearSolve.NormalCg, ok.Schedule.Stages[1].FixedPointTrainingOptions.LinearSolve);
    }

    [Fact]
    public void Schedule_must_end_before_max_num_epochs()
    {
        var e = Fails(Schedule(Direct0), "--max_num_epochs", "9");
        Assert.Equal("command line --max_num_epochs: max_num_epochs: is 9 but the train_schedule runs to epoch 9; raise max_num_epochs above the last stage's end", e.Message);
        Assert.Equal(10, ConfigFixture.Load(Schedule(Direct0), "--max_num_epochs", "10").Get(TrainingOptions.MaxNumEpochs));
    }

    [Fact]
    public void Stability_switch_defaults_from_the_loss_and_can_be_overridden()
    {
        var config = ConfigFixture.Load(Schedule(Direct0 + Stage1("{mode: direct, fixedpoint_scf_stability: false}", loss: "{fixedpoint_scf_stability: 1.0}")));
        Assert.False(config.Schedule.Stages[1].FixedPointTrainingOptions.FixedPointScfStability);
    }

    [Fact]
    public void Stage_names_are_unique_and_not_empty()
    {
        var e = Fails(Schedule(Direct0 + Stage1("{mode: direct}").Replace("name: s,", "name: d,")));
        Assert.Equal("train_schedule.1.name", e.KeyPath);
        Assert.Contains("stage 1 has the same name as stage 0 ('d'); names must be unique", e.Message);
        Assert.Contains("must not be empty", Fails(Schedule(Direct0.Replace("name: d,", "name: '',"))).Message);
    }

    [Fact]
    public void Quoted_keys_count_as_given()
    {
        var config = ConfigFixture.Load(Schedule(
            "  0: {\"name\": d, 'start': 0, \"end\": 9, \"loss\": {forces: 1.0}, \"fixed_point_training_options\": {mode: implicit, scf: {'num_scf_steps': 4, \"mixing_parameter\": 0.5}}}\n"));
        Assert.Equal(0.5, config.Schedule.Stages[0].FixedPointTrainingOptions.Scf!.MixingParameter);
    }
}
