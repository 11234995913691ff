using MaceScf.Electrostatics;
using MaceScf.Training;
using static MaceScf.Training.TrainingOptions;
using ScfOptions = MaceScf.FixedPoint.ScfOptions;

namespace MaceScf.Tests.Training;

/// Defaults follow the Python command line (docs/compatibility.md, "Defaults").
public class DefaultsTests
{
    static readonly TrainingConfig Config = ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule);

    [Fact]
    public void Defaults_decided_in_design_section_5()
    {
        Assert.Equal(1.25, Config.Get(KspaceCutoffFactor));
        Assert.Equal([1.0, 2.0], Config.Get(FieldFeatureWidths));
        Assert.True(Config.Get(IncludeElectrostaticSelfInteraction));
        Assert.Equal(0.25, new ScfOptions().MixingParameter);
        Assert.Equal(100, new ScfOptions().NumScfSteps);
    }

    [Fact]
    public void Defaults_of_the_python_command_line()
    {
        Assert.Equal(OptimizerKind.Schedulefree, Config.Get(Optimizer));
        Assert.Equal(123, Config.Get(Seed));
        Assert.Equal(10, Config.Get(BatchSize));
        Assert.Equal(2048, Config.Get(MaxNumEpochs));
        Assert.Equal(2048, Config.Get(Patience));
        Assert.Equal(1, Config.Get(EvalInterval));
        Assert.Equal(0.1, Config.Get(ValidFraction));
        Assert.Equal(DefaultDtype.Float64, Config.Get(Dtype));
        Assert.False(Config.Get(RestartLatest));
        Assert.Equal(5.0, Config.Get(RMax));
        Assert.Equal(8, Config.Get(NumRadialBasis));
        Assert.Equal(3, Config.Get(MaxEll));
        Assert.Equal(2, Config.Get(NumInteractions));
        Assert.Equal(3, Config.Get(Correlation));
        Assert.Equal([64, 64, 64], Config.Get(RadialMlp));
        Assert.Equal("16x0e", Config.Get(MlpIrreps));
        Assert.Equal(1, Config.Get(AtomicMultipolesMaxL));
        Assert.Equal(1.5, Config.Get(AtomicMultipolesSmearingWidth));
        Assert.Equal(BoundaryMethod.MixedPeriodic, Config.Get(ElectrostaticPbcMethod));
        Assert.Equal(1, Config.Get(FieldFeatureMaxL));
        Assert.Equal(SettingMode.Average, Config.Get(TrainingOptions.FieldFeatureNorms).Mode);
        Assert.Equal(SettingMode.None, Config.Get(AtomDensityScaling).Mode);
        Assert.Equal(SettingMode.None, Config.Get(E0s).Mode);
        Assert.Equal(5e-7, Config.Get(WeightDecay));
        Assert.Equal(5e-7, Config.Get(FieldBlockWeightDecay));
        Assert.Equal(5e-7, Config.Get(LocalChargesWeightDecay));
        Assert.False(Config.Get(Ema));
        Assert.Equal(0.99, Config.Get(EmaDecay));
        Assert.Equal(10.0, Config.Get(ClipGrad));
        Assert.Equal(0.01, Config.Get(Lr));
        Assert.Equal("{type: OneBodyVariableUpdate, potential_embedding_cls: BiasedLinearPotentialEmbedding, nonlinearity_cls: NoNonLinearity}",
            Config.ValueOf(FixedpointUpdateConfig).Text);
        Assert.Equal("{type: StrictQuadraticFieldEnergyReadout}", Config.ValueOf(FieldReadoutConfig).Text);
    }

    [Fact]
    public void Defaults_are_reported_as_defaults_and_default_paths_are_absolute()
    {
        Assert.Equal(ValueSource.Default, Config.SourceOf(Seed));
        Assert.Equal(ValueSource.ConfigFile, Config.SourceOf(TrainFile));
        Assert.True(Path.IsPathRooted(Config.Get(WorkDir)));
        Assert.Null(Config.Get(CheckpointsDir));
        Assert.Contains(Config.Provenance(), line => line == "seed: 123  (default)");
    }

    [Fact]
    public void Stage_lr_defaults_to_0_01_and_group_lr_overrides_one_group()
    {
        var config = ConfigFixture.Load(ConfigFixture.Required + """
            train_schedule:
              0: {name: a, start: 0, end: 3, loss: {forces: 1.0}, lr_source_maps_lr: 0.005, fixed_point_training_options: {mode: direct}}
            """);
        var stage = config.Schedule.Stages[0];
        Assert.Equal(0.01, stage.Lr);
        Assert.Equal(0.005, stage.LrOf("lr_source_maps"));
        Assert.Equal(0.01, stage.LrOf("products"));
    }
}
