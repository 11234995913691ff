using MaceScf.Data;

namespace MaceScf.Tests.Data;

public class AverageNeighbourCountTests
{
    [Fact]
    public void AveragesIncomingEdgesOverAtomsThatHaveNeighbours()
    {
        // Atoms 0–1–2 in a row 1 Å apart plus an isolated atom 3: receivers 0, 1, 2 get 1, 2, 1 edges.
        var chain = NeighbourList.Build(new double[,] { { 0, 0, 0 }, { 1, 0, 0 }, { 2, 0, 0 }, { 10, 0, 0 } }, null, [false, false, false], 1.5);
        // One atom in a 3 Å cubic cell: 18 images within 5 Å.
        var crystal = NeighbourList.Build(new double[,] { { 0, 0, 0 } }, new double[,] { { 3, 0, 0 }, { 0, 3, 0 }, { 0, 0, 3 } }, [true, true, true], 5.0);

        Assert.Equal(4.0 / 3.0, AverageNeighbourCount.Compute([chain]), 12);
        Assert.Equal((4.0 + 18.0) / 4.0, AverageNeighbourCount.Compute([chain, crystal]), 12);
    }

    [Fact]
    public void FailsWhenNoAtomHasANeighbour()
    {
        var isolated = NeighbourList.Build(new double[,] { { 0, 0, 0 }, { 9, 0, 0 } }, null, [false, false, false], 2.0);

        Assert.Throws<ArgumentException>(() => AverageNeighbourCount.Compute([isolated]));
    }
}
