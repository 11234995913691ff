using MaceScf.Data;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Data;

public class GraphBatchTests
{
    private const double Cutoff = 3.0;

    /// A water molecule without a cell, a small periodic crystal, and a slab periodic in x and y.
    private static Configuration[] ThreeConfigurations()
    {
        var water = new Configuration([8, 1, 1],
            new double[,] { { 0, 0, 0 }, { 0.76, 0.59, 0 }, { -0.76, 0.59, 0 } }, null, [false, false, false]);
        var crystal = new Configuration([11, 17],
            new double[,] { { 0.1, 0.2, 0.3 }, { 1.6, 1.5, 1.4 } },
            new double[,] { { 2.9, 0, 0 }, { 0.4, 3.1, 0 }, { -0.3, 0.2, 3.3 } }, [true, true, true]);
        var slab = new Configuration([1, 8, 1, 8],
            new double[,] { { 0.5, 0.5, 0 }, { 2.0, 1.0, 0.5 }, { 3.5, 2.5, 1.2 }, { -1.0, 3.0, 1.8 } },
            new double[,] { { 4, 0, 0 }, { 1, 3.5, 0 }, { 0, 0, 20 } }, [true, true, false]);
        return [water, crystal, slab];
    }

    [Fact]
    public void NodesAreConcatenatedWithGraphIndexAndPointers()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        var species = SpeciesTable.FromConfigurations(configurations);
        using var batch = GraphBatch.Build(configurations, Cutoff, species);

        Assert.Equal(3, batch.GraphCount);
        Assert.Equal(9, batch.AtomCount);
        Assert.Equal(new long[] { 0, 0, 0, 1, 1, 2, 2, 2, 2 }, batch.Batch.data<long>().ToArray());
        Assert.Equal(new long[] { 0, 3, 5, 9 }, batch.Ptr.data<long>().ToArray());
        Assert.Equal(new long[] { 3, 2, 4 }, batch.NumAtoms.data<long>().ToArray());
        Assert.Equal(new long[] { 8, 1, 1, 11, 17, 1, 8, 1, 8 }, batch.AtomicNumbers.data<long>().ToArray());
        // Species table [1, 8, 11, 17].
        Assert.Equal(new long[] { 1, 0, 0, 2, 3, 0, 1, 0, 1 }, batch.Species.data<long>().ToArray());
        Assert.Equal(new long[] { 9, 4 }, batch.NodeAttrs.shape);
        Assert.Equal(1.0, batch.NodeAttrs[3, 2].item<double>());
        Assert.Equal(Enumerable.Repeat(1.0, 9), batch.NodeAttrs.sum(1).data<double>().ToArray());
        Assert.Equal(ScalarType.Float64, batch.Positions.dtype);

        int row = 0;
        foreach (var configuration in configurations)
            for (int i = 0; i < configuration.AtomCount; i++, row++)
                for (int d = 0; d < 3; d++)
                    Assert.Equal(configuration.Positions[i, d], batch.Positions[row, d].item<double>());
    }

    [Fact]
    public void EdgesAreOffsetByTheFirstNodeOfTheirGraph()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        var lists = configurations.Select(c => NeighbourList.Build(c, Cutoff)).ToArray();
        using var batch = GraphBatch.Collate(configurations.Zip(lists, (c, l) => new AtomicGraph(c, l)).ToArray(),
            SpeciesTable.FromConfigurations(configurations));

        int[] firstNode = [0, 3, 5];
        var senders = new List<long>();
        var receivers = new List<long>();
        var graphs = new List<long>();
        var shifts = new List<double>();
        for (int g = 0; g < 3; g++)
            for (int e = 0; e < lists[g].EdgeCount; e++)
            {
                senders.Add(firstNode[g] + lists[g].Senders[e]);
                receivers.Add(firstNode[g] + lists[g].Receivers[e]);
                graphs.Add(g);
                for (int d = 0; d < 3; d++) shifts.Add(lists[g].UnitShifts[e, d]);
            }

        Assert.All(lists, l => Assert.True(l.EdgeCount > 0));
        Assert.Equal(senders.Count, batch.EdgeCount);
        Assert.Equal(new long[] { 2, senders.Count }, batch.EdgeIndex.shape);
        Assert.Equal(senders, batch.EdgeIndex[0].data<long>().ToArray());
        Assert.Equal(receivers, batch.EdgeIndex[1].data<long>().ToArray());
        Assert.Equal(graphs, batch.EdgeGraph.data<long>().ToArray());
        Assert.Equal(shifts, batch.UnitShifts.data<double>().ToArray());
    }

    [Fact]
    public void CellIsZeroWithoutALatticeAndPbcIsPerGraph()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        using var batch = GraphBatch.Build(configurations, Cutoff, SpeciesTable.FromConfigurations(configurations));

        Assert.Equal(new long[] { 3, 3, 3 }, batch.Cell.shape);
        Assert.Equal(0.0, batch.Cell[0].abs().sum().item<double>());
        for (int k = 0; k < 3; k++)
            for (int d = 0; d < 3; d++)
                Assert.Equal(configurations[2].Cell![k, d], batch.Cell[2, k, d].item<double>());
        Assert.Equal(new[] { false, false, false, true, true, true, true, true, false }, batch.Pbc.data<bool>().ToArray());
    }

    [Fact]
    public void EdgeVectorsFromCellShiftsHaveTheNeighbourListDistances()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        var graphs = configurations.Select(c => AtomicGraph.Build(c, Cutoff)).ToArray();
        using var batch = GraphBatch.Collate(graphs, SpeciesTable.FromConfigurations(configurations));

        var shifts = batch.Shifts();
        var lengths = batch.EdgeVectors().norm(1).data<double>().ToArray();

        int edge = 0;
        foreach (var graph in graphs)
            for (int e = 0; e < graph.Edges.EdgeCount; e++, edge++)
            {
                var cell = graph.Configuration.Cell;
                for (int d = 0; d < 3; d++)
                {
                    double expected = cell is null ? 0
                        : graph.Edges.UnitShifts[e, 0] * cell[0, d] + graph.Edges.UnitShifts[e, 1] * cell[1, d] + graph.Edges.UnitShifts[e, 2] * cell[2, d];
                    Assert.Equal(expected, shifts[edge, d].item<double>(), 12);
                }
                Assert.Equal(graph.Edges.Distances[e], lengths[edge], 12);
            }
        Assert.Contains(shifts.abs().sum(1).data<double>().ToArray(), s => s > 0);
    }

    [Fact]
    public void ShiftsAreDifferentiableWithRespectToTheCell()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        var graphs = configurations.Select(c => AtomicGraph.Build(c, Cutoff)).ToArray();
        using var batch = GraphBatch.Collate(graphs, SpeciesTable.FromConfigurations(configurations));
        var cell = batch.Cell.detach().clone().requires_grad_(true);

        // d(sum of shifts)/d cell[g, k, d] = Σ over edges of graph g of S_k.
        var gradient = autograd.grad([batch.Shifts(cell).sum()], [cell])[0];

        for (int g = 0; g < 3; g++)
            for (int k = 0; k < 3; k++)
            {
                double expected = 0;
                for (int e = 0; e < graphs[g].Edges.EdgeCount; e++) expected += graphs[g].Edges.UnitShifts[e, k];
                for (int d = 0; d < 3; d++) Assert.Equal(expected, gradient[g, k, d].item<double>(), 12);
            }
    }

    [Fact]
    public void FloatDtypeIsSelectable()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        using var batch = GraphBatch.Build(configurations, Cutoff, SpeciesTable.FromConfigurations(configurations), ScalarType.Float32);

        Assert.Equal(ScalarType.Float32, batch.Positions.dtype);
        Assert.Equal(ScalarType.Float32, batch.UnitShifts.dtype);
        Assert.Equal(ScalarType.Float32, batch.Cell.dtype);
        Assert.Equal(ScalarType.Float32, batch.NodeAttrs.dtype);
        Assert.Equal(ScalarType.Float32, batch.Shifts().dtype);
        Assert.Equal(ScalarType.Int64, batch.EdgeIndex.dtype);
        Assert.Equal(ScalarType.Bool, batch.Pbc.dtype);
        Assert.Throws<ArgumentException>(() => GraphBatch.Build(configurations, Cutoff, SpeciesTable.FromConfigurations(configurations), ScalarType.Int32));
    }

    [Fact]
    public void NamedTensorsAttachPerNodeEdgeOrGraph()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        using var batch = GraphBatch.Build(configurations, Cutoff, SpeciesTable.FromConfigurations(configurations));

        batch.Attach(BatchLevel.Graph, "energy", tensor(new[] { -1.0, -2.0, -3.0 }));
        batch.Attach(BatchLevel.Node, "forces", zeros(9, 3, dtype: float64));
        batch.Attach(BatchLevel.Edge, "edge_weight", ones(batch.EdgeCount, dtype: float64));

        Assert.Equal(-2.0, batch.GraphData["energy"][1].item<double>());
        Assert.Equal(new long[] { 9, 3 }, batch.NodeData["forces"].shape);
        Assert.True(batch.EdgeData.ContainsKey("edge_weight"));
        var wrongSize = Assert.Throws<ArgumentException>(() => batch.Attach(BatchLevel.Node, "charges", zeros(3)));
        Assert.Contains("leading dimension 9", wrongSize.Message);
        var duplicate = Assert.Throws<ArgumentException>(() => batch.Attach(BatchLevel.Node, "energy", zeros(9)));
        Assert.Contains("already", duplicate.Message);
    }

    [Fact]
    public void ToDeviceCopiesEveryTensorIndependently()
    {
        using var scope = NewDisposeScope();
        var configurations = ThreeConfigurations();
        var batch = GraphBatch.Build(configurations, Cutoff, SpeciesTable.FromConfigurations(configurations));
        batch.Attach(BatchLevel.Graph, "energy", tensor(new[] { -1.0, -2.0, -3.0 }));
        var expectedEdges = batch.EdgeIndex.data<long>().ToArray();
        var expectedPositions = batch.Positions.data<double>().ToArray();

        using var copy = batch.To(CPU);
        using (var one = 1.0.ToScalar()) copy.Cell.add_(one, HeldScalars.One);
        Assert.Equal(0.0, batch.Cell[0].abs().sum().item<double>());
        batch.Dispose();

        Assert.Equal(expectedEdges, copy.EdgeIndex.data<long>().ToArray());
        Assert.Equal(expectedPositions, copy.Positions.data<double>().ToArray());
        Assert.Equal(-3.0, copy.GraphData["energy"][2].item<double>());
        Assert.Equal((copy.GraphCount, copy.AtomCount, copy.EdgeCount), (3, 9, expectedEdges.Length / 2));
    }

    [Fact]
    public void SpeciesTableIsSortedAndRejectsUnknownElements()
    {
        using var scope = NewDisposeScope();
        var table = new SpeciesTable([8, 1, 8, 6]);

        Assert.Equal(new[] { 1, 6, 8 }, table.AtomicNumbers);
        Assert.Equal(2, table.IndexOf(8));
        var e = Assert.Throws<ArgumentException>(() => table.IndexOf(7));
        Assert.Contains("Z=7", e.Message);
        var oneHot = table.OneHot(tensor(new long[] { 2, 0, 1 }));
        Assert.Equal(new double[] { 0, 0, 1, 1, 0, 0, 0, 1, 0 }, oneHot.data<double>().ToArray());
    }

    [Fact]
    public void BatchingAnUnknownElementFails()
    {
        var configurations = ThreeConfigurations();

        Assert.Throws<ArgumentException>(() => GraphBatch.Build(configurations, Cutoff, new SpeciesTable([1, 8])));
    }
}
