using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// Unknown keys, wrong types and YAML syntax errors name the file, line, column and key path.
public class ErrorTests
{
    const string Base = ConfigFixture.Required + ConfigFixture.DirectSchedule;

    [Fact]
    public void Unknown_key_in_the_file_suggests_the_closest_option()
    {
        var e = ConfigFixture.Fails(Base + "r_mx: 4.0\n");
        Assert.Equal("r_mx", e.KeyPath);
        Assert.Equal(15, e.Line);
        Assert.Equal(1, e.Column);
        Assert.EndsWith("config.yaml:15:1: r_mx: unknown option 'r_mx' (did you mean 'r_max'?)", e.Message);
    }

    [Fact]
    public void Unknown_option_on_the_command_line_suggests_the_closest_option()
    {
        var e = ConfigFixture.Fails(Base, "--batchsize", "4");
        Assert.Equal("command line --batchsize: unknown option 'batchsize' (did you mean 'batch_size'?)", e.Message);
        Assert.Null(e.Line);
    }

    [Fact]
    public void Python_key_options_are_unknown_because_keys_come_from_heads()
    {
        var e = ConfigFixture.Fails(Base + "energy_key: AIMS_energy\n");
        Assert.Contains("unknown option 'energy_key'", e.Message);
    }

    [Fact]
    public void Wrong_type_names_the_line_and_the_key()
    {
        var e = ConfigFixture.Fails(Base + "seed: 5\nbatch_size: ten\n");
        Assert.Equal((16L, 13L), (e.Line!.Value, e.Column!.Value));
        Assert.EndsWith("config.yaml:16:13: batch_size: expected an integer, got 'ten'", e.Message);
    }

    [Fact]
    public void Wrong_type_on_the_command_line_names_the_option()
    {
        var e = ConfigFixture.Fails(Base, "--r_max", "far");
        Assert.Equal("command line --r_max: expected a number, got 'far'", e.Message);
    }

    [Fact]
    public void Wrong_type_deep_in_the_schedule_names_the_whole_key_path()
    {
        var e = ConfigFixture.Fails(ConfigFixture.Required + """
            train_schedule:
              0: {name: d, start: 0, end: 1, loss: {forces: 1.0}, fixed_point_training_options: {mode: direct}}
              1:
                name: u
                start: 2
                end: 3
                loss: {forces: 1.0}
                fixed_point_training_options:
                  mode: unroll_scf
                  scf: {num_scf_steps: 5, mixing_parameter: lots}
            """);
        Assert.Equal("train_schedule.1.fixed_point_training_options.scf.mixing_parameter", e.KeyPath);
        Assert.Equal(17, e.Line);
        Assert.Contains("expected a number, got 'lots'", e.Message);
    }

    [Fact]
    public void Booleans_must_be_true_or_false()
    {
        var e = ConfigFixture.Fails(Base + "ema: yes\n");
        Assert.Contains("ema: expected True or False, got 'yes'", e.Message);
    }

    [Fact]
    public void Choice_with_a_typo_lists_the_choices_and_suggests_one()
    {
        var e = ConfigFixture.Fails(Base, "--optimizer", "adamm");
        Assert.Contains("'adamm' is not one of adam, adamw, schedulefree (did you mean 'adam'?)", e.Message);
    }

    [Fact]
    public void Yaml_syntax_error_names_the_file_and_line()
    {
        var e = ConfigFixture.Fails(Base + "seed: [1, 2\n");
        Assert.Contains("config.yaml:", e.Message);
        Assert.Contains("invalid YAML: While parsing a flow sequence", e.Message);
        Assert.Equal(16, e.Line); // the unclosed list of line 15 is noticed at the end of the file
    }

    [Fact]
    public void Duplicate_key_is_an_error()
    {
        var e = ConfigFixture.Fails(Base + "seed: 1\nseed: 2\n");
        Assert.EndsWith("config.yaml:16:1: invalid YAML: Duplicate key seed", e.Message);
    }

    [Fact]
    public void Missing_required_option_is_named()
    {
        var e = ConfigFixture.Fails(ConfigFixture.Required.Replace("error_table: EnergyDensityDipoleRMSE\n", "") + ConfigFixture.DirectSchedule);
        Assert.Equal("configuration: error_table: is required: set it in the config file or with --error_table", e.Message);
    }

    [Fact]
    public void Training_file_must_be_xyz()
    {
        var e = ConfigFixture.Fails(Base, "--train_file", "train.h5");
        Assert.Contains("must be a .xyz file", e.Message);
    }

    [Fact]
    public void Heads_errors_point_at_the_heads_mapping()
    {
        var e = ConfigFixture.Fails(Base.Replace("{energy: AIMS_energy, total_charge: total_charge}", "{energy: AIMS_energy}"));
        Assert.Equal("heads", e.KeyPath);
        Assert.Equal(5, e.Line);
        Assert.Contains("must map total_charge", e.Message);
    }

    [Fact]
    public void Hidden_irreps_need_one_of_the_two_routes()
    {
        string noIrreps = Base.Replace("hidden_irreps: \"8x0e+8x1o\"\n", "");
        Assert.Contains("give hidden_irreps", ConfigFixture.Fails(noIrreps).Message);
        Assert.Contains("num_channels and max_L must be given together", ConfigFixture.Fails(noIrreps, "--num_channels", "8").Message);
        Assert.Contains("not an irreps string", ConfigFixture.Fails(Base, "--hidden_irreps", "8x0q").Message);
        Assert.Equal(8, ConfigFixture.Load(noIrreps, "--num_channels", "8", "--max_L", "1").Get(TrainingOptions.NumChannels));
    }

    [Fact]
    public void Config_file_cannot_name_another()
    {
        var e = ConfigFixture.Fails(Base + "config: other.yaml\n");
        Assert.Contains("cannot name another config file", e.Message);
    }

    [Fact]
    public void Compute_forces_must_stay_true()
    {
        var e = ConfigFixture.Fails(Base, "--compute_forces", "False");
        Assert.Equal("command line --compute_forces: compute_forces: must be true: force training needs autograd forces", e.Message);
    }
}
