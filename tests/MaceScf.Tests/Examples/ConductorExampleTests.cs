using MaceScf.FixedPoint;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Examples;

/// examples/conductor: its configurations (the fixed-point model with the benchmark recipe's field readout, and the
/// LocalCharges, MACEQEq and LocalSplitCharges baselines) validate, and the main config trains (shortened to two epochs).
public sealed class ConductorExampleTests
{
    /// The example's schedule cut to one direct epoch and one linearize_solve epoch (the same losses and SCF settings).
    const string TwoEpochSchedule = """
        {0: {name: direct, start: 0, end: 0, lr: 0.01,
             loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, dipole_per_atom: 1000.0, energy_per_atom: 10.0, forces: 100.0},
             fixed_point_training_options: {mode: direct}},
         1: {name: converged, start: 1, end: 1, lr: 0.002,
             loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, dipole_per_atom: 1000.0, energy_per_atom: 1000.0, forces: 100.0},
             fixed_point_training_options: {mode: linearize_solve, scf: {num_scf_steps: 200, constant_charge: true, mixing_parameter: 0.6,
                                                                          scf_mixer: anderson, initial_density: local_guess, initial_fermi_level: from_data}}}}
        """;

    static TrainingConfig Load(string file, params string[] commandLine) =>
        TrainingConfigLoader.Load(["--config", ConductorExample.File(file), .. commandLine], ConductorExample.Folder);

    [Fact]
    public void Example_config_ends_at_the_converged_fixed_point_and_uses_the_bundled_data()
    {
        var config = Load("config.yaml");
        var stages = config.Schedule.Stages;
        Assert.Equal([TrainingMode.Direct, TrainingMode.LinearizeSolve], stages.Select(s => s.FixedPointTrainingOptions.Mode));
        var scf = stages[1].FixedPointTrainingOptions.Scf!;
        Assert.Equal((200, 0.6, true, ScfMixer.Anderson, InitialDensity.LocalGuess),
            (scf.NumScfSteps, scf.MixingParameter, scf.ConstantCharge, scf.Mixer, scf.InitialDensity));
        Assert.Equal(ConductorExample.File("train.xyz"), config.Data.TrainFile);
        Assert.Equal(ConductorExample.File("valid.xyz"), config.Data.ValidFile);
        Assert.Equal(ConductorExample.File("test.xyz"), config.Data.TestFile);
        Assert.Equal(Path.Combine(ConductorExample.Folder, "runs"), config.Run.ModelDir);

        var sets = TrainingSets.Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL));
        Assert.Equal((40, 10), (sets.Train.Count, sets.Valid.Count));
        Assert.Equal(("conductor", 20), (sets.Tests.Single().Name, sets.Tests.Single().Frames.Count));
        Assert.Equal([11, 19], sets.Species.AtomicNumbers);
        // The field readout of the benchmark recipe, which beat the local baseline on every QM benchmark (docs/accuracy.md).
        Assert.Equal(BlockNames.OneBodyMLPFieldReadout, ModelSetup.From(config, sets).Hyperparameters.FieldReadoutConfig.Type);
    }

    [Theory]
    [InlineData("local.yaml", "LocalCharges")]
    [InlineData("qeq.yaml", "MACEQEq")]
    [InlineData("split-charges.yaml", "LocalSplitCharges")]
    public void Baselines_are_one_shot_models_with_the_example_backbone_and_schedule(string file, string modelClass)
    {
        var example = Load("config.yaml");
        var local = Load(file);
        Assert.Equal(modelClass, local.Class.ToString());
        static object Backbone(TrainingConfig c) => (c.Get(TrainingOptions.RMax), c.Get(TrainingOptions.NumChannels), c.Get(TrainingOptions.MaxL),
            c.Get(TrainingOptions.MaxEll), c.Get(TrainingOptions.Correlation), c.Get(TrainingOptions.NumInteractions), c.Get(TrainingOptions.MlpIrreps));
        Assert.Equal(Backbone(example), Backbone(local));
        Assert.Equal(example.Electrostatics.SmearingWidth, local.Electrostatics.SmearingWidth);
        Assert.Equal(example.Electrostatics.DensityMaxL, local.Electrostatics.DensityMaxL);
        static string Stages(TrainingConfig c) => string.Join("; ", c.Schedule.Stages.Select(s =>
            $"{s.Start}-{s.End} lr {s.Lr} " + string.Join(", ", s.Loss.Select(t => $"{t.Name} {t.Weight}"))));
        Assert.Equal(Stages(example), Stages(local));
        Assert.All(local.Schedule.Stages, s => Assert.False(s.FixedPointOptionsGiven));
    }

    [Fact]
    public void Plain_MACE_comparison_has_the_example_backbone_schedule_and_energy_and_force_weights()
    {
        var example = Load("config.yaml");
        var mace = Load("mace.yaml");
        Assert.Equal(MaceScf.Models.ModelClass.MACE, mace.Class);
        static object Backbone(TrainingConfig c) => (c.Get(TrainingOptions.RMax), c.Get(TrainingOptions.NumChannels), c.Get(TrainingOptions.MaxL),
            c.Get(TrainingOptions.MaxEll), c.Get(TrainingOptions.Correlation), c.Get(TrainingOptions.NumInteractions), c.Get(TrainingOptions.MlpIrreps));
        Assert.Equal(Backbone(example), Backbone(mace));
        static string Stages(TrainingConfig c) => string.Join("; ", c.Schedule.Stages.Select(s =>
            $"{s.Start}-{s.End} lr {s.Lr} " + string.Join(", ", s.Loss.Where(t => t.Name is "energy_per_atom" or "forces").Select(t => $"{t.Name} {t.Weight}"))));
        Assert.Equal(Stages(example), Stages(mace));
        Assert.All(mace.Schedule.Stages, s => Assert.Equal(["energy_per_atom", "forces"], s.Loss.Select(t => t.Name)));
    }

    [Fact]
    public void Example_config_shortened_to_two_epochs_trains_and_writes_the_model()
    {
        string work = Path.Combine(Path.GetTempPath(), "macescf-example-" + Guid.NewGuid().ToString("N"));
        try
        {
            var config = Load("config.yaml", "--train_schedule", TwoEpochSchedule, "--work_dir", work, "--model_dir", work);
            var sets = TrainingSets.Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL));
            var setup = ModelSetup.From(config, sets);
            random.manual_seed(config.Run.Seed);
            using var model = new FixedPointModel(setup.Hyperparameters);
            var trainer = new Trainer(config, sets, model);
            var converged = config.Schedule.Stages[1];
            double before = trainer.Evaluate(converged, sets.Valid).Loss;
            var result = trainer.Run();
            double after = trainer.Evaluate(converged, sets.Valid).Loss;

            Assert.Equal([0, 1], result.Epochs.Select(e => e.Epoch));
            Assert.True(after < 0.1 * before, $"valid loss {before} → {after}");
            Assert.True(File.Exists(Path.Combine(work, "conductor_run-1.model")));
            Assert.Equal(2, MetricsLog.Read(result.MetricsPath).Count);
        }
        finally
        {
            if (Directory.Exists(work)) Directory.Delete(work, true);
        }
    }
}
