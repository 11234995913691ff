using MaceScf.Training;
using static MaceScf.Training.TrainingOptions;

namespace MaceScf.Tests.Training;

/// `--print-config`: the rendered YAML loads back to the same configuration.
public class RenderTests
{
    const string Rich = ConfigFixture.Required + """
        name: "123"
        seed: 5
        r_max: 4.5
        E0s: "{1: -12.67, 8: -2041.04}"
        atom_density_scaling: average
        field_feature_widths: [1.5, 3.0]
        field_feature_norms: [25.0, 25.0, 1.0, 1.0]
        fixedpoint_update_config: {type: ManyBodyUpdate, nonlinearity_cls: MLPNonLinearity, correlation: 2, scale: 0.5, use_sc: true, label: "x y"}
        clip_grad: None
        optimizer: adamw
        electrostatic_pbc_method: molecule_in_box
        config_type_weights: {Default: 1.0, "slab: a": 3.0}
        train_schedule:
          0: {name: direct, start: 0, end: 99, lr: 0.01, lr_source_maps_lr: 0.005,
              loss: {atomic_multipoles: 100, total_charge_per_atom: 1000.0, dipole_per_atom: 1.0e6, fixedpoint_scf_stability: {weight: 0.1, beta: 2.0}},
              fixed_point_training_options: {mode: direct}}
          1:
            name: "unroll: 10"
            start: 100
            end: 110
            lr: 1e-3
            loss: {energy_per_atom: 1000.0, forces: 100.0}
            fixed_point_training_options:
              mode: implicit
              linear_solve: normal_cg
              scf: {num_scf_steps: 10, mixing_parameter: 0.3, initial_density: from_data, initial_fermi_level: zero, constant_charge: false}

        """;

    [Fact]
    public void Rendered_config_loads_back_to_the_same_values()
    {
        var config = ConfigFixture.Load(Rich, "--ema", "--weight_decay", "1e-8");
        string text = config.Render();
        string elsewhere = ConfigFixture.NewFolder();
        var again = TrainingConfigLoader.FromText(text, "printed.yaml", elsewhere, []);

        Assert.True(config.HasSameValues(again));
        Assert.Equal(text, again.Render());
        Assert.All(TrainingOptions.All, o => Assert.Contains($"\n{o.Name}:", "\n" + text));

        Assert.Equal("123", again.Get(Name));
        Assert.Equal(config.Get(TrainFile), again.Get(TrainFile));
        Assert.Equal(config.Get(WorkDir), again.Get(WorkDir));
        Assert.True(again.Get(Ema));
        Assert.Equal(1e-8, again.Get(WeightDecay));
        Assert.Null(again.Get(ClipGrad));
        Assert.Equal(-12.67, again.Get(E0s).Values[1]);
        Assert.Equal(3.0, again.Get(ConfigTypeWeights)["slab: a"]);
        Assert.Equal("x y", again.Get(FixedpointUpdateConfig)["label"]);
        Assert.Equal(2L, again.Get(FixedpointUpdateConfig)["correlation"]);
        var stage = again.Schedule.Stages[1];
        Assert.Equal("unroll: 10", stage.Name);
        Assert.Equal(0.001, stage.Lr);
        Assert.Equal(LinearSolve.NormalCg, stage.FixedPointTrainingOptions.LinearSolve);
        Assert.Equal(config.Schedule.Stages[1].FixedPointTrainingOptions.Scf, stage.FixedPointTrainingOptions.Scf);
        Assert.Equal(0.005, again.Schedule.Stages[0].LrOf("lr_source_maps"));
        Assert.Equal(config.Heads.InfoKeys, again.Heads.InfoKeys);
    }

    [Fact]
    public void A_changed_value_is_not_the_same_configuration()
    {
        var config = ConfigFixture.Load(Rich);
        var other = ConfigFixture.Load(Rich.Replace("mixing_parameter: 0.3", "mixing_parameter: 0.35"));
        Assert.False(config.HasSameValues(other));
    }

    [Fact]
    public void Rendered_floats_keep_a_decimal_point()
    {
        string text = ConfigFixture.Load(Rich).Render();
        Assert.Contains("atomic_multipoles: 100.0", text);
        Assert.Contains("seed: 5\n", text);
        Assert.Contains("weight_decay: 5.0E-07", text);
    }
}
