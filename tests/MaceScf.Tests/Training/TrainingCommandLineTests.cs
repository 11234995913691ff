using MaceScf.Text;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

public class TrainingCommandLineTests
{
    [Fact]
    public void Splits_config_values_flags_and_negations()
    {
        var line = TrainingCommandLine.Parse(["--config", "c.yaml", "--seed=4", "--ema", "--include_field_si", "false", "--no-restart-latest", "--r_max", "3"]);
        Assert.Equal("c.yaml", line.ConfigFile);
        Assert.Equal(
            [new("seed", "4"), new("ema", null), new("include_field_si", "false"), new("no_restart_latest", null), new("r_max", "3")],
            line.Values);
    }

    [Fact]
    public void A_non_bool_option_takes_the_next_word_even_if_it_looks_like_an_option()
    {
        var line = TrainingCommandLine.Parse(["--name", "--odd"]);
        Assert.Equal([new CommandLineValue("name", "--odd")], line.Values);
    }

    [Fact]
    public void Positional_words_missing_values_and_repeats_are_errors()
    {
        Assert.Contains("unexpected argument 'train.xyz'", Assert.Throws<ConfigurationException>(() => TrainingCommandLine.Parse(["train.xyz"])).Message);
        Assert.Equal("command line --seed: needs a value", Assert.Throws<ConfigurationException>(() => TrainingCommandLine.Parse(["--seed"])).Message);
        Assert.Contains("is given twice", Assert.Throws<ConfigurationException>(() => TrainingCommandLine.Parse(["--config", "a", "--config", "b"])).Message);
        var repeated = Assert.Throws<ConfigurationException>(() => ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule, "--seed", "1", "--seed", "2"));
        Assert.Contains("seed is given twice on the command line", repeated.Message);
    }

    [Fact]
    public void None_on_the_command_line_unsets_an_optional_value()
    {
        var config = ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule + "clip_grad: 5.0\nname: run\n", "--clip_grad", "None", "--name", "null");
        Assert.Null(config.Get(TrainingOptions.ClipGrad));
        Assert.Null(config.Get(TrainingOptions.Name));
        Assert.Equal(ValueSource.CommandLine, config.SourceOf(TrainingOptions.ClipGrad));
    }

    [Fact]
    public void A_missing_config_file_is_named()
    {
        string folder = ConfigFixture.NewFolder();
        var e = Assert.Throws<ConfigurationException>(() => TrainingConfigLoader.Load(["--config", "nowhere.yaml"], folder));
        Assert.Equal($"nowhere.yaml: config file not found (resolved to '{Path.Combine(folder, "nowhere.yaml")}')", e.Message);
    }
}
