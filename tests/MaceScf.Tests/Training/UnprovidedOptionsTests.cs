using MaceScf.Training;

namespace MaceScf.Tests.Training;

public class UnprovidedOptionsTests
{
    [Theory]
    [InlineData("--save_all_checkpoints", "true", "save_all_checkpoints: true is not provided")]
    [InlineData("--log_on_test_sets", "true", "log_on_test_sets: true is not provided")]
    [InlineData("--scf_convergence_summary", "true", "scf_convergence_summary: true is not provided")]
    [InlineData("--radial_type", "gaussian", "radial_type 'gaussian' is not provided")]
    public void SettingAnUnprovidedOptionIsAnErrorNotASilentNoOp(string flag, string value, string expected)
    {
        var config = TrainingConfigLoader.Load(["--config", ExampleConfig, flag, value], Directory.GetCurrentDirectory());
        var e = Assert.Throws<ArgumentException>(() => UnprovidedOptions.Check(config));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void NormalCgIsRefusedNamingTheStage()
    {
        string schedule = "{0: {name: d, start: 0, end: 0, loss: {energy_per_atom: 1.0}, lr: 0.01, fixed_point_training_options: {mode: direct}}, " +
                          "1: {name: i, start: 1, end: 1, loss: {energy_per_atom: 1.0}, lr: 0.01, fixed_point_training_options: " +
                          "{mode: implicit, linear_solve: normal_cg, scf: {num_scf_steps: 10, mixing_parameter: 0.3}}}}";
        var config = TrainingConfigLoader.Load(["--config", ExampleConfig, "--train_schedule", schedule], Directory.GetCurrentDirectory());
        var e = Assert.Throws<ArgumentException>(() => UnprovidedOptions.Check(config));
        Assert.Contains("train_schedule.1.fixed_point_training_options.linear_solve: normal_cg", e.Message);
    }

    [Fact]
    public void TheBundledExampleUsesOnlyProvidedOptions()
    {
        var config = TrainingConfigLoader.Load(["--config", ExampleConfig], Directory.GetCurrentDirectory());
        UnprovidedOptions.Check(config);
    }

    private static string ExampleConfig => MaceScf.Tests.Examples.ConductorExample.File("config.yaml");
}
