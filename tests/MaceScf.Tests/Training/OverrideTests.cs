using MaceScf.Training;
using static MaceScf.Training.TrainingOptions;

namespace MaceScf.Tests.Training;

public class OverrideTests
{
    const string Base = ConfigFixture.Required + ConfigFixture.DirectSchedule;

    [Fact]
    public void Command_line_wins_over_the_config_file_which_wins_over_defaults()
    {
        var config = ConfigFixture.Load(Base + "seed: 5\nr_max: 4.5\nbatch_size: 4\n", "--seed", "7", "--r-max=3.5");
        Assert.Equal(7, config.Get(Seed));
        Assert.Equal(3.5, config.Get(RMax));
        Assert.Equal(4, config.Get(BatchSize));
        Assert.Equal(10, config.Get(ValidBatchSize));
        Assert.Equal(ValueSource.CommandLine, config.SourceOf(Seed));
        Assert.Equal(ValueSource.ConfigFile, config.SourceOf(BatchSize));
        Assert.Equal(ValueSource.Default, config.SourceOf(ValidBatchSize));
        var origin = config.ValueOf(BatchSize).Origin;
        Assert.Equal(17, origin.Line); // 7 + 7 lines of Required and DirectSchedule, then seed, r_max
        Assert.Equal(1, origin.Column);
    }

    [Fact]
    public void Command_line_replaces_the_whole_schedule()
    {
        var config = ConfigFixture.Load(Base, "--train_schedule",
            "{0: {name: only, start: 0, end: 4, loss: {forces: 1.0}, fixed_point_training_options: {mode: direct}}}");
        Assert.Equal("only", config.Schedule.Stages.Single().Name);
    }

    [Theory]
    [InlineData(new string[0], false)]
    [InlineData(new[] { "--ema" }, true)]
    [InlineData(new[] { "--ema", "True" }, true)]
    [InlineData(new[] { "--ema", "true" }, true)]
    [InlineData(new[] { "--ema", "False" }, false)]
    [InlineData(new[] { "--ema=false" }, false)]
    public void Boolean_flags_accept_bare_and_python_and_yaml_spellings(string[] args, bool expected) =>
        Assert.Equal(expected, ConfigFixture.Load(Base, args).Get(Ema));

    [Fact]
    public void Booleans_in_the_file_and_negated_flags()
    {
        var config = ConfigFixture.Load(Base + "ema: True\ninclude_electrostatic_self_interaction: False\n", "--no-restart_latest", "--scf-convergence-summary");
        Assert.True(config.Get(Ema));
        Assert.False(config.Get(IncludeElectrostaticSelfInteraction));
        Assert.False(config.Get(RestartLatest));
        Assert.True(config.Get(ScfConvergenceSummary));
    }

    [Fact]
    public void Bare_flag_followed_by_another_option_does_not_swallow_it()
    {
        var config = ConfigFixture.Load(Base, "--ema", "--seed", "3");
        Assert.True(config.Get(Ema));
        Assert.Equal(3, config.Get(Seed));
    }

    [Fact]
    public void Paths_in_the_file_resolve_against_its_folder_and_on_the_command_line_against_the_current_directory()
    {
        var config = ConfigFixture.Load(Base + "test_file: ../sets/test.xyz\n", out string folder, "--valid_file", "valid.xyz");
        Assert.Equal(Path.Combine(folder, "data", "train.xyz"), config.Get(TrainFile));
        Assert.Equal(Path.GetFullPath(Path.Combine(folder, "..", "sets", "test.xyz")), config.Get(TestFile));
        Assert.Equal(Path.Combine(folder, "valid.xyz"), config.Get(ValidFile));

        string elsewhere = ConfigFixture.NewFolder();
        var fromElsewhere = TrainingConfigLoader.Load(["--config", Path.Combine(folder, "config.yaml"), "--valid_file", "v.xyz"], elsewhere);
        Assert.Equal(Path.Combine(folder, "data", "train.xyz"), fromElsewhere.Get(TrainFile));
        Assert.Equal(Path.Combine(elsewhere, "v.xyz"), fromElsewhere.Get(ValidFile));
    }

    [Fact]
    public void Options_can_be_given_on_the_command_line_only()
    {
        string folder = ConfigFixture.NewFolder();
        var config = TrainingConfigLoader.Load(
        [
            "--train_file", "t.xyz", "--error_table", "PerAtomRMSE", "--num_channels", "16", "--max_L", "1",
            "--heads", "{'h': {'info_keys': {'total_charge': 'q'}, 'arrays_keys': {}}}",
            "--train_schedule", "{0: {name: d, start: 0, end: 0, loss: {forces: 1.0}, fixed_point_training_options: {mode: direct}}}",
        ], folder);
        Assert.Null(config.ConfigFile);
        Assert.Equal(16, config.Get(NumChannels));
        Assert.Equal("q", config.Heads.InfoKeys["total_charge"]);
    }
}
