using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

public sealed class TrainingStatisticsTests
{
    /// The training frames, the last one with its reference multipoles removed (excluded from the averages).
    static (List<LabelledConfiguration> Frames, SpeciesTable Species) Frames(TrainingRunFixture run)
    {
        var configurations = ExtXyzReader.Read(run.TrainFile).ToList();
        configurations[^1].Arrays.Remove(PropertyKeys.AtomicMultipoles);
        var frames = new LabelExtractor(KeyMapping.Default, 1).ExtractAll(configurations).ToList();
        Assert.False(frames[^1].AtomicMultipoles.IsPresent);
        return (frames, SpeciesTable.FromConfigurations(configurations));
    }

    [Fact]
    public void Average_atom_density_scaling_is_the_per_element_rms_of_the_reference_multipoles()
    {
        using var run = new TrainingRunFixture(frames: 3);
        var (frames, species) = Frames(run);
        var scaling = ModelSetup.AverageAtomDensityScaling(frames, species, 1);
        foreach (int z in species.AtomicNumbers)
        {
            double sum = 0;
            int count = 0;
            foreach (var f in frames.Where(f => f.AtomicMultipoles.IsPresent))
                for (int i = 0; i < f.Configuration.AtomCount; i++)
                    if (f.Configuration.AtomicNumbers[i] == z)
                        for (int c = 0; c < 4; c++, count++) sum += f.AtomicMultipoles.Value[i, c] * f.AtomicMultipoles.Value[i, c];
            Assert.Equal(Math.Sqrt(sum / count), scaling.Values[z], 12);
        }
    }

    [Fact]
    public void Average_field_feature_norms_are_the_rms_per_degree_and_width_over_frames_with_multipoles()
    {
        using var run = new TrainingRunFixture(frames: 3);
        var (frames, species) = Frames(run);
        var options = new ElectrostaticsOptions { DensityMaxL = 1, FieldFeatureMaxL = 1, FieldFeatureWidths = [1.0, 2.0], Method = BoundaryMethod.Realspace };
        const double offset = -5.0;
        var norms = ModelSetup.AverageFieldFeatureNorms(frames, species, options, offset).PerDegreeAndWidth;
        var layout = new FieldFeatureLayout(options);
        var sums = new double[4];
        long atoms = 0;
        foreach (var f in frames.Where(f => f.AtomicMultipoles.IsPresent))
        {
            using var scope = NewDisposeScope();
            var c = f.Configuration;
            using var plan = new ElectrostaticsPlan(options, tensor(Flat(c.Positions)).view(-1, 3));
            var p = tensor(Flat(f.AtomicMultipoles.Value)).view(c.AtomCount, 4);
            var features = plan.FieldFeatures(p).Plus(plan.ExternalFeatures(tensor(f.ExternalField.Value).view(1, 3), tensor(new[] { f.FermiLevel.Value - offset })));
            var values = features.contiguous().data<double>().ToArray();
            for (int i = 0; i < c.AtomCount; i++)
                for (int j = 0; j < layout.Count; j++)
                    sums[layout.DegreeOfOutput[j] * 2 + layout.WidthOfOutput[j]] += values[i * layout.Count + j] * values[i * layout.Count + j];
            atoms += c.AtomCount;
        }
        for (int k = 0; k < 4; k++) Assert.Equal(Math.Sqrt(sums[k] / (atoms * (2 * (k / 2) + 1))), norms[k], 10);
    }

    static double[] Flat(double[,] a) => a.Cast<double>().ToArray();
}
