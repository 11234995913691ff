using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

/// The convolution kernel (<see cref="SegmentContraction"/>): every mode against the same contraction written with libtorch ops
/// (per-edge products, index_add at the receivers, autograd for the partial contractions), first and second derivatives against
/// central differences, float32 against float64.
public class SegmentContractionTests(ITestOutputHelper output)
{
    // Groups over node features 0e+1o+2e (rows 0 | 1–3 | 4–8) and edge attributes of lmax 3 (columns 0 | 1–3 | 4–8 | 9–15):
    // one, three and two paths, l1 and l2 from 0 to 3.
    private static readonly ContractionGroup[] Groups =
    [
        new(Row1: 0, Dim1: 1, Column2: 0, Dim2: 1, Path: 0, Paths: 1, Offset: 0),
        new(Row1: 1, Dim1: 3, Column2: 1, Dim2: 3, Path: 1, Paths: 3, Offset: 1),
        new(Row1: 1, Dim1: 3, Column2: 9, Dim2: 7, Path: 4, Paths: 2, Offset: 28),
        new(Row1: 4, Dim1: 5, Column2: 4, Dim2: 5, Path: 6, Paths: 1, Offset: 70),
        new(Row1: 0, Dim1: 1, Column2: 9, Dim2: 7, Path: 7, Paths: 1, Offset: 95),
    ];

    private const int Rows1 = 9, Columns2 = 16, PathCount = 8;

    /// A graph of 9 source and 7 target nodes (the chunked convolution's case: targets are a range of the nodes): node 0 receives
    /// 19 edges (three tiles), nodes 3 and 6 none, node 8 sends none; self edges included.
    private static (ContractionGraph Graph, Tensor Sender, Tensor Receiver) RandomGraph(int channels)
    {
        var rng = new System.Random(5);
        var edges = new List<(long S, long R)>();
        for (int k = 0; k < 19; k++) edges.Add((rng.Next(8), 0));
        foreach (var r in new long[] { 1, 2, 4, 5 })
            for (int k = 0; k < 1 + 3 * (int)r % 7; k++) edges.Add((rng.Next(8), r));
        edges.Add((2, 2));
        edges = [.. edges.OrderBy(_ => rng.Next())];
        var receiver = tensor(edges.Select(e => e.R).ToArray());
        using var tiles = EdgeTiles.Build(receiver, 7);
        var sender = tiles.Pad(tensor(edges.Select(e => e.S).ToArray()));
        var graph = new ContractionGraph(Groups, channels, Rows1, Columns2, PathCount, sender.data<long>().ToArray(),
            tiles.Receivers.data<long>().ToArray(), EdgeTiles.Size, 9, 7);
        var rowReceiver = tiles.Receivers.repeat_interleave(EdgeTiles.Size);
        return (graph, sender, rowReceiver);
    }

    /// S with libtorch ops: per group the per-row products Y ⊗ (x[sender] ⊙ w) summed at the rows' receivers.
    private static Tensor LibtorchSums(ContractionGraph graph, Tensor sender, Tensor rowReceiver, Tensor x, Tensor y, Tensor w)
    {
        int c = graph.Channels;
        long rows = y.shape[0];
        var xs = x.view(-1, Rows1, c).index_select(0, sender);
        var ws = w.view(rows, PathCount, c);
        var blocks = Groups.Select(g =>
        {
            var product = torch.einsum("rm,rac,rqc->rmqac", y.narrow(1, g.Column2, g.Dim2), xs.narrow(1, g.Row1, g.Dim1), ws.narrow(1, g.Path, g.Paths));
            return torch.zeros(graph.TargetNodes, g.Dim2 * g.Paths * g.Dim1 * c, dtype: x.dtype).index_add(0, rowReceiver, product.reshape(rows, -1), HeldScalars.One);
        });
        return torch.cat(blocks.ToArray(), 1);
    }

    [Theory]
    [InlineData(8)]
    [InlineData(6)]
    [InlineData(3)]
    public void EveryModeMatchesTheLibtorchContraction(int channels)
    {
        using var scope = NewDisposeScope();
        var (graph, sender, rowReceiver) = RandomGraph(channels);
        var x = Reference.Randn(graph.Shape(ContractionSlot.Node), 1).requires_grad_(true);
        var y = Reference.Randn(graph.Shape(ContractionSlot.Attr), 2).requires_grad_(true);
        var w = Reference.Randn(graph.Shape(ContractionSlot.Weight), 3).requires_grad_(true);
        var ds = Reference.Randn(graph.Shape(ContractionSlot.Sum), 4);
        var expected = LibtorchSums(graph, sender, rowReceiver, x, y, w);
        var gradients = autograd.grad([(expected * ds).sum()], [x, y, w]);
        using var noGrad = no_grad();
        double[] errors =
        [
            Relative(SegmentContraction.Of(graph, ContractionSlot.Sum, x, y, w), expected),
            Relative(SegmentContraction.Of(graph, ContractionSlot.Node, ds, y, w), gradients[0]),
            Relative(SegmentContraction.Of(graph, ContractionSlot.Attr, ds, x, w), gradients[1]),
            Relative(SegmentContraction.Of(graph, ContractionSlot.Weight, ds, x, y), gradients[2]),
        ];
        output.WriteLine($"C = {channels}: S, dX, dY, dW relative errors {string.Join(", ", errors.Select(e => e.ToString("E2")))}");
        Assert.All(errors, e => Assert.True(e < 1e-12, $"error {e}"));
        // Isolated targets have zero sums; a node that sends nothing has a zero gradient.
        var sums = SegmentContraction.Of(graph, ContractionSlot.Sum, x, y, w);
        Assert.Equal(0.0, Reference.MaxAbs(sums[3]) + Reference.MaxAbs(sums[6]));
        Assert.Equal(0.0, Reference.MaxAbs(SegmentContraction.Of(graph, ContractionSlot.Node, ds, y, w)[8]));
    }

    /// L = Σ sin(S) ⊙ G: its gradient in X, Y, W against central differences along random directions, and the derivative of
    /// ⟨∇L, V⟩ (second derivatives: every mode's backward pass) likewise.
    [Fact]
    public void FirstAndSecondDerivativesMatchFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var (graph, _, _) = RandomGraph(5);
        Tensor[] at = [Reference.Randn(graph.Shape(ContractionSlot.Node), 11), Reference.Randn(graph.Shape(ContractionSlot.Attr), 12),
            Reference.Randn(graph.Shape(ContractionSlot.Weight), 13)];
        Tensor[] direction = [.. at.Select((t, k) => Reference.Randn(t.shape, 20 + k))];
        Tensor[] probe = [.. at.Select((t, k) => Reference.Randn(t.shape, 30 + k))];
        var weight = Reference.Randn(graph.Shape(ContractionSlot.Sum), 14);
        Tensor Loss(Tensor[] v) => (SegmentContraction.Of(graph, ContractionSlot.Sum, v[0], v[1], v[2]).sin() * weight).sum();
        // ⟨∇L, probe⟩ with a graph, differentiable again.
        Tensor Directional(Tensor[] v, bool createGraph)
        {
            var g = autograd.grad([Loss(v)], v, retain_graph: createGraph, create_graph: createGraph);
            return g.Zip(probe, (a, b) => (a * b).sum()).Aggregate((a, b) => a.Plus(b));
        }
        Tensor[] Shifted(double h) => [.. at.Zip(direction, (a, d) => a.Plus(d.Times(h)).detach().requires_grad_(true))];
        const double step = 1e-5;
        var variables = at.Select(t => t.detach().requires_grad_(true)).ToArray();
        var first = autograd.grad([Loss(variables)], variables, retain_graph: true, create_graph: true);
        double analytic = first.Zip(direction, (a, d) => (a * d).sum().item<double>()).Sum();
        double numeric = (Loss(Shifted(step)).item<double>() - Loss(Shifted(-step)).item<double>()) / (2 * step);
        var second = autograd.grad([first.Zip(probe, (a, b) => (a * b).sum()).Aggregate((a, b) => a.Plus(b))], variables);
        double analytic2 = second.Zip(direction, (a, d) => (a * d).sum().item<double>()).Sum();
        double numeric2 = (Directional(Shifted(step), false).item<double>() - Directional(Shifted(-step), false).item<double>()) / (2 * step);
        double e1 = Math.Abs(analytic - numeric) / Math.Abs(analytic), e2 = Math.Abs(analytic2 - numeric2) / Math.Abs(analytic2);
        output.WriteLine($"first derivative relative error {e1:E2}, second {e2:E2}");
        Assert.True(e1 < 1e-8, $"first derivative error {e1}");
        Assert.True(e2 < 1e-6, $"second derivative error {e2}");
    }

    /// The float32 kernel (vector lanes of 8 and a scalar tail) against float64.
    [Theory]
    [InlineData(16)]
    [InlineData(11)]
    public void Float32MatchesFloat64(int channels)
    {
        using var scope = NewDisposeScope();
        var (graph, _, _) = RandomGraph(channels);
        var operands = new[] { ContractionSlot.Sum, ContractionSlot.Node, ContractionSlot.Attr, ContractionSlot.Weight }
            .Select((s, k) => Reference.Randn(graph.Shape(s), 40 + k)).ToArray();
        foreach (var slot in Enum.GetValues<ContractionSlot>())
        {
            var others = operands.Where((_, k) => k != (int)slot).ToArray();
            var exact = SegmentContraction.Of(graph, slot, others[0], others[1], others[2]);
            var single = SegmentContraction.Of(graph, slot, others[0].to_type(ScalarType.Float32), others[1].to_type(ScalarType.Float32),
                others[2].to_type(ScalarType.Float32));
            Assert.Equal(ScalarType.Float32, single.dtype);
            double error = Relative(single.to_type(ScalarType.Float64), exact);
            Assert.True(error < 1e-5, $"{slot}: float32 error {error}");
        }
    }

    [Fact]
    public void RejectsSendersOutsideTheNodesAndMixedDtypes()
    {
        using var scope = NewDisposeScope();
        var bad = Assert.Throws<ArgumentException>(() => new ContractionGraph(Groups, 4, Rows1, Columns2, PathCount,
            new long[EdgeTiles.Size].Select((_, k) => k == 3 ? 9L : 0L).ToArray(), [0L], EdgeTiles.Size, 9, 7));
        Assert.Contains("edge row 3: sender 9", bad.Message);
        var (graph, _, _) = RandomGraph(4);
        var mixed = Assert.Throws<ArgumentException>(() => ContractionKernel.Compute(graph, ContractionSlot.Sum,
        [
            Reference.Randn(graph.Shape(ContractionSlot.Node), 1), Reference.Randn(graph.Shape(ContractionSlot.Attr), 2).to_type(ScalarType.Float32),
            Reference.Randn(graph.Shape(ContractionSlot.Weight), 3),
        ]));
        Assert.Contains("Attr", mixed.Message);
    }

    private static double Relative(Tensor actual, Tensor expected) => Reference.MaxDiff(actual, expected) / Reference.MaxAbs(expected);
}
