using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

/// `freeze` and the stages' `freeze` keys: a frozen parameter keeps its value bit for bit — no step, no weight decay, no
/// momentum from an earlier stage, no schedule-free interpolation, no EMA drift — and a parameter that is not frozen trains.
public sealed class FreezeTests
{
    private const string Loss = "{atomic_multipoles: 100.0, total_charge_per_atom: 100.0, dipole_per_atom: 100.0, energy_per_atom: 10.0, forces: 10.0}";

    /// Stage 0 freezes everything but the readouts and the SCF blocks (the `freeze` option), stage 1 trains everything
    /// (`freeze: []`), stage 2 freezes the backbone (`freeze: backbone`).
    private const string Schedule = $$$"""
        freeze: [embedding, interactions, products]
        train_schedule:
          0: {name: heads, start: 0, end: 0, loss: {{{Loss}}}, lr: 0.01, fixed_point_training_options: {mode: direct}}
          1: {name: all, start: 1, end: 1, loss: {{{Loss}}}, lr: 0.01, freeze: [], fixed_point_training_options: {mode: direct}}
          2: {name: frozen_backbone, start: 2, end: 2, loss: {{{Loss}}}, lr: 0.01, freeze: backbone, fixed_point_training_options: {mode: direct}}

        """;

    private static readonly string[] Backbone = ["embedding", "interactions_decay", "interactions_no_decay", "products", "readouts"];

    [Theory]
    [InlineData("adam")]
    [InlineData("adamw")]
    [InlineData("schedulefree")]
    public void FrozenParametersKeepTheirBitsAndTheOthersTrain(string optimizer)
    {
        using var run = new TrainingRunFixture(frames: 4);
        var config = run.Load(TrainingRunFixture.TinyModel.Replace("optimizer: adam", $"optimizer: {optimizer}") + Schedule
            + "ema: true\nweight_decay: 0.01\nfield_block_weight_decay: 0.01\nlocal_charges_weight_decay: 0.01\n");
        var (sets, model) = run.Build(config);
        using var _ = model;
        var snapshots = new List<Dictionary<string, Tensor>> { Snapshot(model) };
        new Trainer(config, sets, model).Run(new Recorder(() => snapshots.Add(Snapshot(model))));
        Assert.Equal(4, snapshots.Count);
        string[] headsAndScf = snapshots[0].Keys.Select(ParameterGroups.GroupOf).Distinct().Except(Backbone).Append("readouts").ToArray();

        AssertGroups(snapshots[0], snapshots[1], ["embedding", "interactions_decay", "interactions_no_decay", "products"], same: true);
        AssertGroups(snapshots[0], snapshots[1], headsAndScf, same: false);
        AssertGroups(snapshots[1], snapshots[2], ["embedding", "interactions_decay", "interactions_no_decay", "products"], same: false);
        AssertGroups(snapshots[2], snapshots[3], Backbone, same: true);
        AssertGroups(snapshots[2], snapshots[3], headsAndScf.Except(["readouts"]).ToArray(), same: false);
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
    }

    /// The saved model holds the EMA average: a group frozen in the last stage must be saved with its average from the end of
    /// the stage before, bit for bit — the same as a run that stops there.
    [Fact]
    public void TheAverageOfAFrozenGroupDoesNotDrift()
    {
        using var run = new TrainingRunFixture(frames: 4);
        string yaml = TrainingRunFixture.TinyModel + "ema: true\nweight_decay: 0.01\n";
        string twoStages = Schedule[..Schedule.IndexOf("  2: ", StringComparison.Ordinal)];
        var shorter = Train(run, yaml + twoStages, "shorter");
        var longer = Train(run, yaml + Schedule, "longer");
        AssertGroups(shorter, longer, Backbone, same: true);
        AssertGroups(shorter, longer, ["lr_source_maps", "field_dependent_charges_map"], same: false);
    }

    private static Dictionary<string, Tensor> Train(TrainingRunFixture run, string yaml, string name)
    {
        var config = run.Load(yaml, "--name", name);
        var (sets, model) = run.Build(config);
        using var _ = model;
        var result = new Trainer(config, sets, model).Run();
        using var saved = MaceScf.FixedPoint.ModelFile.Load(result.ModelPath);
        return Snapshot(saved);
    }

    [Fact]
    public void FreezeNamesAreCheckedAndRendered()
    {
        using var run = new TrainingRunFixture(frames: 2);
        var config = run.Load(TrainingRunFixture.TinyModel + Schedule);
        Assert.Equal(["embedding", "interactions", "products"], config.Get(TrainingOptions.Freeze));
        Assert.Equal(["backbone"], config.Schedule.Stages[2].Freeze);
        Assert.Equal([], config.Schedule.Stages[1].Freeze);
        Assert.Null(config.Schedule.Stages[0].Freeze);
        var again = run.Load(config.Render());
        Assert.True(again.HasSameValues(config));
        var e = Assert.Throws<ConfigurationException>(() => run.Load(TrainingRunFixture.TinyModel + Schedule.Replace("freeze: backbone", "freeze: [readout]")));
        Assert.Contains("unknown parameter group 'readout' (did you mean 'readouts'?)", e.Message);
        Assert.Equal(5, FrozenParameters.Groups(["backbone", "interactions"]).Count);
    }

    private static Dictionary<string, Tensor> Snapshot(TorchSharp.torch.nn.Module model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().clone());

    private static void AssertGroups(Dictionary<string, Tensor> before, Dictionary<string, Tensor> after, string[] groups, bool same)
    {
        foreach (var group in groups)
        {
            var names = before.Keys.Where(n => ParameterGroups.GroupOf(n) == group).ToList();
            Assert.NotEmpty(names);
            var equal = names.Select(n => before[n].eq(after[n]).all().item<bool>()).ToList();
            if (same) Assert.True(equal.All(e => e), $"{group}: frozen parameters changed ({string.Join(", ", names.Where((_, i) => !equal[i]))})");
            else Assert.True(equal.Any(e => !e), $"{group}: no parameter changed");
        }
    }

    /// Runs the callback on the training thread after every epoch.
    private sealed class Recorder(Action action) : IProgress<EpochReport>
    {
        public void Report(EpochReport value) => action();
    }
}
