using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// A frame the boundary method treats in k-space without a cell is named before training starts.
public class CellCheckTests
{
    private static LabelledConfiguration Frame(double[,]? cell, bool[] pbc, int index)
    {
        var configuration = new Configuration([8, 1, 1], new double[,] { { 0, 0, 0.12 }, { 0, 0.76, -0.48 }, { 0, -0.76, -0.48 } }, cell, pbc)
        {
            SourceName = "train.xyz",
            FrameIndex = index,
        };
        configuration.Info["total_charge"] = 0.0;
        return new LabelExtractor(KeyMapping.Default).Extract(configuration);
    }

    private static TrainingSets Sets(params LabelledConfiguration[] train) =>
        new(train, [], [], SpeciesTable.FromConfigurations(train.Select(f => f.Configuration)));

    [Fact]
    public void MoleculeWithoutALatticeIsNamedUnderMixedPeriodic()
    {
        var box = new double[,] { { 30, 0, 0 }, { 0, 30, 0 }, { 0, 0, 30 } };
        var sets = Sets(Frame(box, [false, false, false], 0), Frame(null, [false, false, false], 1));
        var error = Assert.Throws<InvalidDataException>(() => CellCheck.Require(BoundaryMethod.MixedPeriodic, sets));
        Assert.StartsWith("train.xyz, frame 1: electrostatic_pbc_method mixed_periodic treats this frame (pbc F F F) with molecule_in_box", error.Message);
        // Open boundaries need no cell; a boxed molecule passes.
        CellCheck.Require(BoundaryMethod.Realspace, sets);
        CellCheck.Require(BoundaryMethod.Auto, Sets(Frame(null, [false, false, false], 1)));
        CellCheck.Require(BoundaryMethod.MixedPeriodic, Sets(Frame(box, [false, false, false], 0)));
    }
}
