using MaceScf.FixedPoint;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

public sealed class TrainerTests
{
    const string AllLosses = "atomic_multipoles: 100.0, total_charge_per_atom: 100.0, dipole_per_atom: 100.0, energy_per_atom: 10.0, forces: 10.0";

    /// Without forces: the linearised solve then needs no second derivatives (and implicit keeps J detached).
    const string NoForces = "atomic_multipoles: 100.0, total_charge_per_atom: 100.0, dipole_per_atom: 100.0, energy_per_atom: 10.0";

    static string Schedule(string mode, int epochs, string scf, string loss) => $$"""
        train_schedule:
          0:
            name: {{mode}}
            start: 0
            end: {{epochs - 1}}
            loss: {{{loss}}}
            lr: 0.01
            fixed_point_training_options: {mode: {{mode}}{{scf}}}

        """;

    [Theory]
    [InlineData("direct", "", AllLosses)]
    [InlineData("unroll_scf", ", scf: {num_scf_steps: 4, mixing_parameter: 0.3, initial_density: from_data}", AllLosses)]
    [InlineData("implicit", ", scf: {num_scf_steps: 40, mixing_parameter: 0.5, constant_charge: false}", NoForces)]
    [InlineData("linearize_solve", ", scf: {num_scf_steps: 40, mixing_parameter: 0.5, constant_charge: false}", NoForces)]
    public void Training_lowers_the_loss(string mode, string scf, string loss)
    {
        using var run = new TrainingRunFixture(frames: 4);
        var config = run.Load(TrainingRunFixture.TinyModel + Schedule(mode, 4, scf, loss), "--valid_fraction", "0.25", "--batch_size", "2");
        var (sets, model) = run.Build(config);
        using var _ = model;
        var stage = config.Schedule.Stages[0];
        var trainer = new Trainer(config, sets, model);
        double before = trainer.Evaluate(stage, sets.Train).Loss;
        var result = trainer.Run();
        double after = trainer.Evaluate(stage, sets.Train).Loss;
        Assert.Equal(4, result.Epochs.Count);
        Assert.True(after < 0.9 * before, $"{mode}: train loss {before} → {after}");
        if (mode == "unroll_scf") Assert.All(result.Epochs, e => Assert.Equal(3.0, e.ScfSteps!.Value, 6));
        else if (mode == "direct") Assert.All(result.Epochs, e => Assert.Null(e.ScfSteps));
        else Assert.All(result.Epochs, e => Assert.True(e.ScfConverged == 1.0 && e.Fallbacks == 0, $"{e.ScfConverged} converged, {e.Fallbacks} fallbacks"));
        var lines = MetricsLog.Read(result.MetricsPath);
        Assert.Equal(4, lines.Count);
        Assert.True(lines[^1].GetProperty("rmse").GetProperty("valid").GetProperty("forces").GetDouble() > 0);
        // The CPU time of the training batches: positive, and within the epoch's wall time on the machine's cores.
        Assert.All(result.Epochs, e => Assert.InRange(e.TrainCpuSeconds!.Value, 1e-6, e.Seconds * Environment.ProcessorCount + 1));
        Assert.Equal(result.Epochs[^1].TrainCpuSeconds!.Value, lines[^1].GetProperty("train_cpu_time").GetDouble(), 12);
    }

    [Theory]
    [InlineData("adam")]
    [InlineData("schedulefree")]
    public void A_killed_and_restarted_run_ends_with_the_same_model(string optimizer)
    {
        using var run = new TrainingRunFixture(frames: 4);
        string yaml = TrainingRunFixture.TinyModel.Replace("optimizer: adam", $"optimizer: {optimizer}") + TrainingRunFixture.DirectThenUnroll
            + "ema: true\n";
        var whole = Train(run, yaml, "a", stopAfterEpoch: null);
        Assert.Throws<OperationCanceledException>(() => Train(run, yaml, "b", stopAfterEpoch: 1));
        Assert.EndsWith("_epoch-1", Directory.GetDirectories(Path.Combine(run.Folder, "b", "checkpoints")).Single());
        var resumed = Train(run, yaml, "b", stopAfterEpoch: null);
        Assert.Equal(whole.Length, resumed.Length);
        for (int i = 0; i < whole.Length; i++) Assert.Equal(whole[i], resumed[i], 12);
        var metrics = MetricsLog.Read(Path.Combine(run.Folder, "b", "results", "tiny_run-5_train.jsonl"));
        Assert.Equal([0, 1, 2, 3], metrics.Select(m => m.GetProperty("epoch").GetInt32()));
    }

    /// Trains in work_dir = folder/name; cancels after the report of <paramref name="stopAfterEpoch"/> (a kill after that
    /// epoch's checkpoint). Returns the final model's parameters.
    internal static double[] Train(TrainingRunFixture run, string yaml, string name, int? stopAfterEpoch)
    {
        var config = run.Load(yaml, "--work_dir", Path.Combine(run.Folder, name), "--restart_latest");
        var (sets, model) = run.Build(config);
        using var _ = model;
        using var cancel = new CancellationTokenSource();
        new Trainer(config, sets, model).Run(new Stop(e => { if (e.Epoch == stopAfterEpoch) cancel.Cancel(); }), cancel.Token);
        var saved = ModelFile.Load(Path.Combine(run.Folder, name, "tiny_run-5.model"));
        using var __ = saved;
        return saved.parameters().SelectMany(p => p.detach().contiguous().data<double>().ToArray()).ToArray();
    }

    sealed class Stop(Action<EpochReport> action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action(value);
    }

    [Fact]
    public void Stage_lr_and_parameter_groups_follow_the_schedule()
    {
        using var run = new TrainingRunFixture(frames: 3);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--field_block_weight_decay", "0.5");
        var (_, model) = run.Build(config);
        using var __ = model;
        var groups = ParameterGroups.Of(model, config.Optimizer);
        Assert.Equal(model.parameters().Count(), groups.Sum(g => g.Parameters.Count));
        Assert.Equal(0.5, groups.Single(g => g.Name == "field_dependent_charges_map").WeightDecay);
        Assert.Equal(0.0, groups.Single(g => g.Name == "embedding").WeightDecay);
        Assert.Equal("interactions_decay", ParameterGroups.GroupOf("backbone.interactions.0.linear.weight"));
        Assert.Equal("lr_source_maps", ParameterGroups.GroupOf("local_density.0.linear_1.weight"));
    }
}
