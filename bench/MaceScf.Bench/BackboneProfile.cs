using System.Diagnostics;
using System.Globalization;
using MaceScf.Equivariant;
using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// `backbone-timing ATOMS CHANNELS --profile [--float32] [--threads T]` (docs/benchmarks.md, "Backbone speed and memory"): the E+F
/// case (float64, or the layers in float32 as the model runs them with --float32) split into its blocks, each timed as forward + the backward pass the forces need (a fixed random output gradient to
/// the block's inputs that depend on positions) on the real graph: geometry (edge vectors, harmonics, radial features), per
/// layer the tile build, the radial MLP alone (a network of the same sizes), the convolution alone (random weights), the whole
/// interaction, the product block and the readout. The time is the CPU time of the process (on a shared machine it counts
/// the work, not the waiting), minimum of R runs after a warm-up. The environment variable PROFILE_BLOCK=TEXT times only the
/// blocks whose name contains TEXT (to record one block with perf).
internal static class BackboneProfile
{
    public static void Run(MaceModel model, MaceInputs graph, int repeats, Action wholeStep)
    {
        var rows = new List<(string Name, double Ms)>();
        string? only = Environment.GetEnvironmentVariable("PROFILE_BLOCK");
        void Add(string name, Func<Tensor[]> forward, Tensor[] inputs)
        {
            if (only is null || name.Contains(only)) rows.Add((name, Time(forward, inputs, repeats)));
        }
        var h = model.Hyperparameters;
        var dtype = model.ComputeDtype;
        var positions = graph.Positions.detach().requires_grad_(true);
        Tensor edgeAttrs, edgeFeats;
        var sender = graph.EdgeIndex[0];
        var receiver = graph.EdgeIndex[1];
        // As the model runs it: harmonics and radial features once per undirected pair of edges (unless --per-edge).
        using var pairs = model.PairedEdges
            ? EdgePairs.Of(sender, receiver, graph.UnitShifts, graph.Positions.shape[0], graph.Positions.dtype) : null;
        var edgeRows = pairs?.PairOf;
        (Tensor Attrs, Tensor Feats) Geometry(Tensor p)
        {
            var edgeCell = graph.Cell.index_select(0, graph.Batch.index_select(0, sender));
            var shifts = graph.UnitShifts.unsqueeze(1).bmm(edgeCell).squeeze(1);
            var vectors = (p.index_select(0, receiver) - p.index_select(0, sender)).Plus(shifts);
            var pairVectors = pairs?.PairVectors(vectors) ?? vectors;
            var r = pairVectors.norm(-1, keepdim: true);
            var harmonics = SphericalHarmonics.Compute(h.MaxEll, pairVectors.to_type(dtype), h.EdgeVectorOrder);
            return (pairs?.ExpandHarmonics(harmonics, h.MaxEll) ?? harmonics, model.Radial.Compute(r.to_type(dtype)));
        }
        Add("geometry (edge vectors, harmonics, Bessel x cutoff)", () => { var (a, f) = Geometry(positions); return [a, f]; }, [positions]);
        using (no_grad()) (edgeAttrs, edgeFeats) = Geometry(graph.Positions);
        edgeAttrs.requires_grad_(true);
        edgeFeats.requires_grad_(true);
        var nodeAttrs = nn.functional.one_hot(graph.Species, h.NumElements).to_type(dtype);
        Tensor x;
        using (no_grad()) x = ((nn.Module<Tensor, Tensor>)model.named_children().First(c => c.name == "node_embedding").module).forward(nodeAttrs);
        for (int t = 0; t < model.Interactions.Count; t++)
        {
            var interaction = model.Interactions[t];
            var input = x.detach().requires_grad_(t > 0);
            var inputs = t > 0 ? new[] { input, edgeAttrs, edgeFeats } : new[] { edgeAttrs, edgeFeats };
            using var tiles = EdgeTiles.Build(receiver, graph.Positions.shape[0]);
            Add($"layer {t}: edge tiles (build, no grad)", () => { using var b = EdgeTiles.Build(receiver, graph.Positions.shape[0]); return []; }, []);
            int width = interaction.RadialWeightNumel;
            var mlp = new FullyConnectedNet([model.Radial.OutDim, .. h.RadialMlp, width], NormalizedActivation.Silu(), dtype);
            foreach (var p in mlp.parameters()) p.requires_grad_(false);
            Add($"layer {t}: radial MLP [{model.Radial.OutDim}, {string.Join(", ", h.RadialMlp)}, {width}] "
                + (edgeRows is null ? "on padded edges" : "on pairs, gathered to padded edges"),
                () => [edgeRows is null ? mlp.forward(tiles.Pad(edgeFeats)) : mlp.forward(edgeFeats).index_select(0, tiles.RowsOf(edgeRows))], [edgeFeats]);
            var tp = new ChannelwiseTensorProduct(interaction.NodeFeatsIrreps, h.EdgeAttrsIrreps(), interaction.TargetIrreps);
            var padded = tiles.Pad(edgeAttrs.detach()).requires_grad_(true);
            var tileSender = tiles.Pad(sender);
            var weights = randn(tiles.Rows, width, dtype: dtype).requires_grad_(true);
            Add($"layer {t}: convolution alone (gather, Z = x w, per-tile products, scatter, coupling)",
                () => [tp.ConvolveTiles(input, padded, weights, tileSender, tiles.Receivers, graph.Positions.shape[0])],
                    t > 0 ? [input, padded, weights] : [padded, weights]);
            Add($"layer {t}: whole interaction (linear_up, MLP, convolution, linear, skip)", () =>
            {
                var r = interaction.forward(input, nodeAttrs, edgeAttrs, edgeFeats, sender, receiver, edgeRows);
                return r.SelfConnection is null ? [r.AtomicBasis] : [r.AtomicBasis, r.SelfConnection];
            }, inputs);
            InteractionResult result;
            using (no_grad()) result = interaction.forward(input, nodeAttrs, edgeAttrs, edgeFeats, sender, receiver, edgeRows);
            var basis = result.AtomicBasis.detach().requires_grad_(true);
            var self = result.SelfConnection?.detach().requires_grad_(true);
            Add($"layer {t}: product coefficients alone (weights only, no backward)",
                () => { var (_, _, c) = model.Products[t].Contraction.Prepare(nodeAttrs); return [c]; }, []);
            Add($"layer {t}: product (symmetric contraction, linear)", () => [model.Products[t].forward(basis, nodeAttrs, self)],
                self is null ? [basis] : [basis, self]);
            using (no_grad()) x = model.Products[t].forward(basis, nodeAttrs, self);
            var features = x.detach().requires_grad_(true);
            Add($"layer {t}: readout", () => [model.Readouts[t].forward(features)], [features]);
        }
        Add("whole E+F (MaceModel.Predict: the blocks and what joins them)", () => { wholeStep(); return []; }, []);
        foreach (var (name, ms) in rows) Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{ms,9:F2} ms  {name}"));
        // The MLP and convolution rows are parts of the whole interaction rows.
        double sum = rows.Where(r => !r.Name.Contains("radial MLP") && !r.Name.Contains("convolution alone") && !r.Name.StartsWith("whole E+F")).Sum(r => r.Ms);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{sum,9:F2} ms  sum of the blocks (without the MLP and convolution rows, which the interactions contain)"));
    }

    /// Minimum CPU time (ms) of forward + backward with a fixed random output gradient to the given inputs, after one warm-up.
    static double Time(Func<Tensor[]> forward, Tensor[] inputs, int repeats)
    {
        Tensor[]? seeds = null;
        var process = Process.GetCurrentProcess();
        var times = new List<double>();
        for (int r = 0; r <= repeats; r++)
        {
            using var scope = NewDisposeScope();
            process.Refresh();
            var before = process.TotalProcessorTime;
            var outputs = forward().Where(o => o.requires_grad).ToArray();
            if (inputs.Length > 0)
            {
                seeds ??= outputs.Select(o => randn_like(o).MoveToOuterDisposeScope()).ToArray();
                autograd.grad(outputs, inputs, seeds, allow_unused: true);
            }
            process.Refresh();
            if (r > 0) times.Add((process.TotalProcessorTime - before).TotalMilliseconds);
        }
        times.Sort();
        return times[0];
    }
}
