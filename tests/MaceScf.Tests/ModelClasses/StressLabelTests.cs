using MaceScf.Data;
using MaceScf.Models;
using MaceScf.Tests.Training;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// Stress and virials as labels (3×3, 9 or Voigt 6 values as ASE writes them) and as losses.
public sealed class StressLabelTests
{
    static readonly double[,] Sigma = { { 1.0, 0.6, 0.5 }, { 0.6, 2.0, 0.4 }, { 0.5, 0.4, 3.0 } };

    static Configuration Box(object stress, bool cell = true)
    {
        var c = new Configuration([8, 1], new double[,] { { 0, 0, 0 }, { 0.9, 0.1, 0 } }, cell ? new double[,] { { 4, 0, 0 }, { 0, 5, 0 }, { 0, 0, 6 } } : null,
            [cell, cell, cell]) { SourceName = "box.xyz", FrameIndex = 3 };
        c.Info["stress"] = stress;
        c.Info["virials"] = stress;
        return c;
    }

    [Fact]
    public void Voigt_nine_values_and_3x3_give_the_same_tensor()
    {
        var extractor = new LabelExtractor(KeyMapping.Default);
        double[] voigt = [1.0, 2.0, 3.0, 0.4, 0.5, 0.6];
        double[] nine = Sigma.Cast<double>().ToArray();
        foreach (var form in new object[] { voigt, nine, Sigma })
        {
            var f = extractor.Extract(Box(form));
            Assert.Equal(Sigma.Cast<double>(), f.Stress.Value.Cast<double>());
            Assert.Equal(Sigma.Cast<double>(), f.Virials.Value.Cast<double>());
            Assert.Equal(1.0, f.Stress.Weight);
        }
        var e = Assert.Throws<KeyMappingException>(() => extractor.Extract(Box(voigt, cell: false)));
        Assert.Contains("no Lattice", e.Message);
        Assert.Contains("box.xyz", e.Message);
        Assert.Contains("needs 9 values (3×3) or 6 Voigt values", Assert.Throws<KeyMappingException>(() => extractor.Extract(Box(new[] { 1.0, 2.0 }))).Message);
    }

    [Fact]
    public void Stress_and_virials_losses_are_MACE_weighted_means()
    {
        using var run = new TrainingRunFixture(frames: 1);
        var extractor = new LabelExtractor(KeyMapping.Default);
        var frames = new[] { extractor.Extract(Box(Sigma)), extractor.Extract(Box(new double[9])) };
        frames[1].Configuration.Info.Remove("stress");
        frames[1] = extractor.Extract(frames[1].Configuration);
        using var scope = NewDisposeScope();
        using var batch = TrainingBatch.Build(frames, new BatchLayout(ScalarType.Float64, 3.0, 0, 0.0), new SpeciesTable([1, 8]));
        Assert.Equal(120.0, batch.Volume[0].item<double>(), 12);
        // Predicted stress σ_ref + 0.1 in frame 0 (virials −σ V), virials W_ref + 0.2 in both.
        var virials = -(batch.Stress.Plus(0.1)) * batch.Volume.view(-1, 1, 1);
        var o = new Prediction(batch.Energy, []) { Virials = virials };
        double Term(string name) => TrainingLoss.Term(new LossTerm(name, 1, []), o, batch).item<double>();
        // Only frame 0 has a stress: 9 entries of 0.01 over 2 × 9.
        Assert.Equal(0.01 / 2, Term("stress"), 12);
        var w = new Prediction(batch.Energy, []) { Virials = batch.Virials.Plus(0.2) };
        Assert.Equal(0.04 / 4, TrainingLoss.Term(new LossTerm("virials", 1, []), w, batch).item<double>(), 12);
    }
}
