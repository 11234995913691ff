using MaceScf.Electrostatics;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// The typed section records the model and training loop consume.
public class SectionOptionsTests
{
    static readonly TrainingConfig Config = ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule + """
        work_dir: run
        r_max: 4.5
        field_feature_max_l: None
        atomic_multipoles_max_l: 0
        field_feature_widths: [1.5, 3.0]
        electrostatic_pbc_method: pbc
        include_field_si: true
        optimizer: adamw
        clip_grad: None
        seed: 9
        name: water
        """, out Folder, "--checkpoints_dir", "/abs/ckpt");

    static readonly string Folder;

    [Fact]
    public void The_config_maps_the_electrostatics_onto_ElectrostaticsOptions()
    {
        Assert.Equal(4.5, Config.Get(TrainingOptions.RMax));
        Assert.Equal("8x0e+8x1o", Config.Get(TrainingOptions.HiddenIrreps));
        Assert.Equal("16x0e", Config.Get(TrainingOptions.MlpIrreps));
        var e = Config.Electrostatics;
        Assert.Equal(0, e.DensityMaxL);
        Assert.Equal(0, e.FieldFeatureMaxL);
        Assert.Equal([1.5, 3.0], e.FieldFeatureWidths);
        Assert.Equal(BoundaryMethod.Pbc, e.Method);
        Assert.Equal(1.25, e.KspaceCutoffFactor);
        Assert.True(e.IncludeFieldSelfInteraction);
        Assert.True(e.IncludeSelfInteraction);
        e.Validate();
        Assert.Equal("OneBodyVariableUpdate", Config.Get(TrainingOptions.FixedpointUpdateConfig).Type);
    }

    [Fact]
    public void Run_resolves_unset_folders_under_work_dir_and_data_defaults_the_split_seed()
    {
        var run = Config.Run;
        Assert.Equal(Path.Combine(Folder, "run"), run.WorkDir);
        Assert.Equal(Path.Combine(Folder, "run", "logs"), run.LogDir);
        Assert.Equal(Path.Combine(Folder, "run", "results"), run.ResultsDir);
        Assert.Equal(Path.Combine(Folder, "run"), run.ModelDir);
        Assert.Equal("/abs/ckpt", run.CheckpointsDir);
        Assert.Equal("water_run-9", run.Tag);
        Assert.Equal(9, Config.Data.ValidSetSeed);
        Assert.Equal(Path.Combine(Folder, "data", "train.xyz"), Config.Data.TrainFile);
    }

    [Fact]
    public void Optimizer_options()
    {
        var o = Config.Optimizer;
        Assert.Equal(OptimizerKind.Adamw, o.Optimizer);
        Assert.Null(o.ClipGrad);
        Assert.Equal(5e-7, o.FieldBlockWeightDecay);
        Assert.True(o.Amsgrad);
    }
}
