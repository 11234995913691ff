using MaceScf.Models;
using MaceScf.Data;
using MaceScf.Tests.Training;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Distributed;

/// The reproduction rule of docs/distributed.md: the shards' losses, normalised by the global batch, add up to the global
/// batch's loss, and so do their parameter gradients.
public sealed class ShardLossTests
{
    static readonly string[] Terms =
    [
        "energy_per_atom", "forces", "atomic_multipoles", "total_charge", "total_charge_per_atom", "dipole", "dipole_per_atom",
        "fermi_level", "fermi_level_per_atom", "esps", "field_features", "fixedpoint_scf_stability", "charges",
        "born_charges", "polarizability",
    ];

    [Fact]
    public void Shard_losses_and_gradients_add_up_to_the_global_batch()
    {
        using var run = new TrainingRunFixture(frames: 5);
        // The teacher's Born charges and polarizability mapped too (the fixture's data carry them).
        string heads = TrainingRunFixture.TinyModel
            .Replace("external_field: external_field}", "external_field: external_field, polarizability: polarizability}")
            .Replace("atomic_multipoles: atomic_multipoles}", "atomic_multipoles: atomic_multipoles, born_charges: born_charges}");
        var config = run.Load(heads + TrainingRunFixture.DirectThenUnroll, "--valid_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        var frames = sets.Train.ToArray();
        var stage = config.Schedule.Stages[1];
        var loss = Terms.Select(t => new LossTerm(t, 1.0 + t.Length, [])).ToList();
        var parameters = model.parameters().ToArray();
        (double Loss, double[] Gradient) LossAndGradient(LabelledConfiguration[] shard, LossNormalisation? over)
        {
            using var scope = NewDisposeScope();
            using var batch = TrainingBatch.Build(shard, model, sets.Species);
            var outputs = model.Predict(batch.Inputs, TrainingRequest.For(stage, forces: true, training: true) with
            {
                CreateGraph = true, Potentials = true, FieldFeatures = true, Stability = true, BornCharges = true, Polarizability = true,
            });
            var total = TrainingLoss.Compute(loss, outputs, batch, over).Total;
            var grads = autograd.grad([total], parameters, allow_unused: true);
            return (total.item<double>(), grads.Zip(parameters).SelectMany(g => (g.First ?? zeros_like(g.Second)).flatten().data<double>().ToArray()).ToArray());
        }
        var whole = LossAndGradient(frames, null);
        var global = new LossNormalisation(frames.Length, frames.Sum(f => (long)f.Configuration.AtomCount));
        var first = LossAndGradient(frames[..2], global);
        var second = LossAndGradient(frames[2..], global);
        Assert.True(whole.Loss > 0);
        Assert.Equal(whole.Loss, first.Loss + second.Loss, whole.Loss * 1e-13);
        double scale = whole.Gradient.Max(Math.Abs);
        Assert.True(scale > 0);
        for (int i = 0; i < whole.Gradient.Length; i++) Assert.Equal(whole.Gradient[i], first.Gradient[i] + second.Gradient[i], scale * 1e-12);
    }
}
