using MaceScf.Tests.FixedPoint;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

/// `fixedpoint_initial_charge_head_scale` and `field_norm_factor` are applied or refused, never silently ignored.
public class InitialChargeHeadScaleTests
{
    /// As the Python run_train after building the model: the output layers of the density (each layer's local-density readout,
    /// `linear_3` here, and the update's `element_select_out`) are multiplied by the factor; nothing else changes.
    [Fact]
    public void CreateModelScalesTheDensityOutputLayersAndNothingElse()
    {
        var hp = FixedPointTestSystems.Hyperparameters();
        random.manual_seed(7);
        using var plain = new ModelSetup(hp, []).CreateModel();
        random.manual_seed(7);
        using var scaled = new ModelSetup(hp, [], InitialChargeHeadScale: 0.01).CreateModel();
        var original = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int heads = 0;
        foreach (var (name, p) in scaled.named_parameters())
        {
            bool head = name.StartsWith("update.element_select_out.", StringComparison.Ordinal)
                || (name.StartsWith("local_density.", StringComparison.Ordinal) && name.Contains(".linear_3.", StringComparison.Ordinal));
            var expected = head ? original[name].Times(0.01) : original[name];
            Assert.True(p.equal(expected).all().item<bool>(), name);
            if (head && original[name].abs().sum().item<double>() > 0) heads++;
        }
        Assert.Equal(3, heads);   // two layers' readout weights and the update's output weights (the readout biases start at 0)
    }

    /// `macescf train`'s path: the option reaches <see cref="ModelSetup"/>, is logged, and the model starts with smaller densities.
    [Fact]
    public void TheOptionOfARunScalesTheInitialDensityOutputs()
    {
        using var run = new TrainingRunFixture(frames: 4);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll);
        var sets = TrainingSets.Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL));
        Assert.Equal(1.0, ModelSetup.From(config, sets).InitialChargeHeadScale);
        var (_, plain) = run.Build(config);
        var scaledConfig = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--fixedpoint_initial_charge_head_scale", "0.5");
        var setup = ModelSetup.From(scaledConfig, sets);
        Assert.Equal(0.5, setup.InitialChargeHeadScale);
        Assert.Contains(setup.Log, line => line.StartsWith("fixedpoint_initial_charge_head_scale: 0.5", StringComparison.Ordinal));
        var (_, scaled) = run.Build(scaledConfig);
        using (plain)
        using (scaled)
        {
            var weights = plain.named_parameters().ToDictionary(p => p.name, p => p.parameter);
            foreach (var (name, p) in scaled.named_parameters().Where(p => p.name.Contains("element_select_out", StringComparison.Ordinal)))
                Assert.True(p.equal(weights[name].Times(0.5)).all().item<bool>(), name);
        }
    }

    [Fact]
    public void AFieldNormFactorOtherThanOneIsRefusedByName()
    {
        var e = ConfigFixture.Fails(ConfigFixture.Required + ConfigFixture.DirectSchedule + "field_norm_factor: 2.0\n");
        Assert.Contains("field_norm_factor", e.Message);
        Assert.Contains("only 1.0 is accepted", e.Message);
        Assert.Equal(1.0, ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule + "field_norm_factor: 1.0\n").Get(TrainingOptions.FieldNormFactor));
    }
}
