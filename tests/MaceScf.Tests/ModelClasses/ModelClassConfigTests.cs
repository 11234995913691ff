using MaceScf.Tests.Training;
using MaceScf.Training;

namespace MaceScf.Tests.ModelClasses;

/// `--model`: the classes of run_train, and the options and losses that do not apply to a class refused by name.
public sealed class ModelClassConfigTests
{
    const string MaceStage = """
        train_schedule:
          0: {name: plain, start: 0, end: 3, loss: {energy_per_atom: 1.0, forces: 10.0, stress: 1.0, virials: 1.0}}

        """;

    [Fact]
    public void Plain_MACE_stages_need_no_fixed_point_options_and_render_without_them()
    {
        var config = ConfigFixture.Load(ConfigFixture.Required + MaceStage, "--model", "MACE");
        Assert.Equal("MACE", config.Get(TrainingOptions.Model));
        Assert.False(config.Schedule.Stages[0].FixedPointOptionsGiven);
        Assert.DoesNotContain("fixed_point_training_options", config.Render());
        var again = ConfigFixture.Load(config.Render());
        Assert.True(config.HasSameValues(again));
    }

    [Fact]
    public void Options_that_do_not_apply_to_the_class_are_refused_by_name()
    {
        string withFixedPoint = ConfigFixture.Required + ConfigFixture.DirectSchedule.Replace("atomic_multipoles: 100.0, ", "");
        var e = ConfigFixture.Fails(withFixedPoint, "--model", "ScaleShiftMACE");
        Assert.Contains("fixed_point_training_options, which only --model FixedPoint has", e.Message);
        Assert.Contains("the atomic_multipoles loss does not apply to --model MACE", ConfigFixture.Fails(ConfigFixture.Required + MaceStage.Replace("stress: 1.0", "atomic_multipoles: 1.0"), "--model", "MACE").Message);
        e = ConfigFixture.Fails(ConfigFixture.Required + MaceStage + "field_feature_widths: [1.5]\n", "--model", "MACE");
        Assert.Equal("field_feature_widths", e.KeyPath);
        Assert.Contains("does not apply to --model MACE", e.Message);
        Assert.Equal("inference_num_scf_steps", ConfigFixture.Fails(ConfigFixture.Required + MaceStage, "--model", "MACE", "--inference_num_scf_steps", "5").KeyPath);
        Assert.Contains("has no parameter group lr_source_maps",
            ConfigFixture.Fails(ConfigFixture.Required + MaceStage.Replace("virials: 1.0}", "virials: 1.0}, lr_source_maps_lr: 0.1"), "--model", "MACE").Message);
        // ScaleShiftMACE chooses its first interaction; the fixed-point class has no scaling.
        ConfigFixture.Load(ConfigFixture.Required + MaceStage, "--model", "ScaleShiftMACE", "--interaction_first", "RealAgnosticInteractionBlock");
        Assert.Equal("scaling", ConfigFixture.Fails(ConfigFixture.Required + ConfigFixture.DirectSchedule, "--scaling", "std_scaling").KeyPath);
        Assert.Contains("stage 0 needs 'fixed_point_training_options' (the SCF training mode of --model FixedPoint)",
            ConfigFixture.Fails(ConfigFixture.Required + MaceStage).Message);
    }

    /// `charges` needs a density: refused for plain MACE, accepted for the local-charges and fixed-point classes.
    [Fact]
    public void The_charges_loss_applies_to_the_classes_with_a_density()
    {
        string stage = MaceStage.Replace("stress: 1.0", "charges: 1.0");
        Assert.Contains("the charges loss does not apply to --model MACE", ConfigFixture.Fails(ConfigFixture.Required + stage, "--model", "MACE").Message);
        Assert.Equal(1.0, ConfigFixture.Load(ConfigFixture.Required + stage, "--model", "LocalCharges").Schedule.Stages[0].Loss.Single(t => t.Name == "charges").Weight);
        string fixedPoint = ConfigFixture.DirectSchedule.Replace("atomic_multipoles: 100.0", "charges: 100.0");
        Assert.NotEqual(ConfigFixture.DirectSchedule, fixedPoint);
        Assert.Equal(100.0, ConfigFixture.Load(ConfigFixture.Required + fixedPoint).Schedule.Stages[0].Loss.Single(t => t.Name == "charges").Weight);
    }

    [Fact]
    public void Split_charge_and_QEq_options_are_refused_where_they_do_not_apply()
    {
        string local = ConfigFixture.Required + MaceStage.Replace("virials: 1.0}", "virials: 1.0, atomic_multipoles: 1.0}");
        // LocalSplitCharges needs the formal charge of each element; MACEQEq has none.
        Assert.Equal("atomic_formal_charges", ConfigFixture.Fails(local, "--model", "LocalSplitCharges").KeyPath);
        ConfigFixture.Load(local, "--model", "LocalSplitCharges", "--atomic_formal_charges", "{1: 0.4, 8: -0.8}");
        Assert.Equal("atomic_formal_charges", ConfigFixture.Fails(local, "--model", "MACEQEq", "--atomic_formal_charges", "{1: 0.4, 8: -0.8}").KeyPath);
        // The hardness options belong to MACEQEq alone, and so do its parameter groups.
        ConfigFixture.Load(local.Replace("atomic_multipoles: 1.0}", "atomic_multipoles: 1.0}, hardness_readouts_lr: 0.1"), "--model", "MACEQEq",
            "--train_hardness", "true", "--default_hardness", "5.0");
        foreach (var other in new[] { "LocalSplitCharges", "LocalCharges" })
        {
            var e = ConfigFixture.Fails(local, "--model", other, "--atomic_formal_charges", "{1: 0.4, 8: -0.8}", "--train_hardness", "true");
            Assert.Equal(other == "LocalCharges" ? "atomic_formal_charges" : "train_hardness", e.KeyPath);
        }
        Assert.Equal("default_hardness", ConfigFixture.Fails(ConfigFixture.Required + ConfigFixture.DirectSchedule, "--default_hardness", "3.0").KeyPath);
        Assert.Contains("has no parameter group enegs_readouts", ConfigFixture.Fails(local.Replace("atomic_multipoles: 1.0}",
            "atomic_multipoles: 1.0}, enegs_readouts_lr: 0.1"), "--model", "LocalSplitCharges", "--atomic_formal_charges", "{1: 0.4, 8: -0.8}").Message);
        // Neither runs an SCF: SCF options are refused.
        Assert.Equal("field_feature_widths", ConfigFixture.Fails(local + "field_feature_widths: [1.5]\n", "--model", "MACEQEq").KeyPath);
    }

    [Fact]
    public void Unknown_classes_are_refused_with_the_list()
    {
        var e = ConfigFixture.Fails(ConfigFixture.Required + MaceStage, "--model", "ScaleShiftMace");
        Assert.Contains("did you mean 'ScaleShiftMACE'", e.Message);
        Assert.Contains("FixedPoint, MACE, ScaleShiftMACE, LocalCharges, LocalSplitCharges, FixedChargeBaselinedMACE, MACEQEq", e.Message);
    }
}
