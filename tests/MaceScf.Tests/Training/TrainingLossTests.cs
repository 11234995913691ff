using MaceScf.Models;
using MaceScf.Data;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

public sealed class TrainingLossTests
{
    /// Two frames; the second has no energy and no forces: those terms only see the first, yet average over both.
    [Fact]
    public void Absent_labels_contribute_nothing_and_means_run_over_all_entries()
    {
        using var run = new TrainingRunFixture(frames: 2);
        var configurations = ExtXyzReader.Read(run.TrainFile).ToList();
        configurations[1].Info.Remove(PropertyKeys.Energy);
        configurations[1].Arrays.Remove(PropertyKeys.Forces);
        var frames = new LabelExtractor(KeyMapping.Default, 1).ExtractAll(configurations).ToList();
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--valid_file", run.TrainFile, "--E0s", "{1: 0.0, 8: 0.0}");
        var (sets, model) = run.Build(config);
        using var _ = model;
        using var scope = NewDisposeScope();
        using var batch = TrainingBatch.Build(frames, model, sets.Species);
        int n0 = frames[0].Configuration.AtomCount, n1 = frames[1].Configuration.AtomCount;
        var outputs = new Prediction(batch.Energy.Plus(tensor(new[] { 0.5, 7.0 })), [])
        {
            Forces = batch.Forces.Plus(0.2), Density = batch.Multipoles.Plus(0.1), TotalCharge = batch.TotalCharge.Plus(1.0), Dipole = batch.Dipole.Plus(0.3),
            FermiLevel = batch.FermiLevel.Plus(2.0),
        };
        double Term(string name) => TrainingLoss.Term(new LossTerm(name, 1, []), outputs, batch).item<double>();
        Assert.Equal(Math.Pow(0.5 / n0, 2) / 2, Term("energy_per_atom"), 12);
        Assert.Equal(0.04 * 3 * n0 / (3.0 * (n0 + n1)), Term("forces"), 12);
        Assert.Equal(0.01, Term("atomic_multipoles"), 12);
        Assert.Equal((1.0 / (n0 * n0) + 1.0 / (n1 * n1)) / 2, Term("total_charge_per_atom"), 12);
        double dipoleWeights = frames.Sum(f => f.DipoleComponentWeights.Sum() / Math.Pow(f.Configuration.AtomCount, 2));
        Assert.Equal(0.09 * dipoleWeights / 6, Term("dipole_per_atom"), 12);
        Assert.Equal(4.0, Term("fermi_level"), 12);
        var (total, terms) = TrainingLoss.Compute([new LossTerm("energy_per_atom", 10, []), new LossTerm("atomic_multipoles", 100, [])], outputs, batch);
        Assert.Equal(10 * Math.Pow(0.5 / n0, 2) / 2 + 1.0, total.item<double>(), 12);
        Assert.Equal(1.0, terms["atomic_multipoles"], 12);
    }

    /// `charges` scores the l = 0 column alone; `atomic_multipoles` averages it with the dipole columns.
    [Fact]
    public void Charges_loss_takes_the_l0_coefficients_only()
    {
        using var run = new TrainingRunFixture(frames: 2);
        var frames = new LabelExtractor(KeyMapping.Default, 1).ExtractAll(ExtXyzReader.Read(run.TrainFile)).ToList();
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--valid_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        using var scope = NewDisposeScope();
        using var batch = TrainingBatch.Build(frames, model, sets.Species);
        var offset = tensor(new[] { 0.1, 0.3, 0.3, 0.3 }, dtype: batch.Multipoles.dtype);
        var outputs = new Prediction(batch.Energy, []) { Density = batch.Multipoles.Plus(offset) };
        double Term(string name) => TrainingLoss.Term(new LossTerm(name, 1, []), outputs, batch).item<double>();
        Assert.Equal(4, batch.Multipoles.shape[1]);
        Assert.Equal(0.01, Term("charges"), 12);
        Assert.Equal((0.01 + 3 * 0.09) / 4, Term("atomic_multipoles"), 12);
    }
}
