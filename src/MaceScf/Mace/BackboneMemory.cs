using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// The memory of the backbone's autograd graph (energy with forces, stress or training), estimated from the graph's size before
/// anything is allocated, and the automatic chunks it decides
/// (docs/benchmarks.md, "The trained water model from 480 to 10,080 atoms"): a backbone whose whole evaluation would keep more than <see cref="MaceModel.AutomaticChunkBytes"/> on its graph,
/// or hold more at once without a graph, runs its symmetric contractions in node blocks and, when their part alone is above the
/// budget too, its convolutions in blocks of <see cref="MaceModel.AutomaticEdgeChunk"/> edges (<see cref="MaceModel.EdgeChunkSize"/>:
/// the same results up to the order of the additions; the backward passes recompute every block, which costs time where the graph
/// is small: 2.32 → 3.04 ms per atom at 480 atoms, hence the budget). The budget is a fixed fraction of the machine's memory
/// (<see cref="MachineBytes"/>), so that what fits runs unchunked (docs/benchmarks.md, "A memory budget tied to the machine").
internal static class BackboneMemory
{
    /// Fraction of the machine's memory (<see cref="MachineBytes"/>) an estimated graph may reach before the backbone is chunked without
    /// being asked: the unchunked peak of a plain MACE is about 1.2× its estimate, that of the fixed-point model's whole evaluation
    /// about 2.5× (docs/benchmarks.md), so a graph at the budget peaks at well under half the machine.
    public const double MachineFraction = 1.0 / 6;

    /// The budget when the machine's memory is unknown (the fixed budget before it was tied to the machine).
    public const double FallbackBudgetBytes = 2e9;

    /// The automatic chunks' budget on a machine of <paramref name="machineBytes"/> (<see cref="MachineFraction"/> of it).
    public static double BudgetFor(double machineBytes) => MachineFraction * machineBytes;

    /// The budget of this process's machine, decided once (<see cref="MachineBytes"/>), and what it was taken from.
    public static (double Bytes, string Source) MachineBudget => _machineBudget.Value;

    private static readonly Lazy<(double, string)> _machineBudget = new(() => MachineBytes() is { } machine
        ? (BudgetFor(machine.Bytes), $"1/{1 / MachineFraction:F0} of {ElectrostaticsMemory.Gigabytes(machine.Bytes)} {machine.Source}")
        : (FallbackBudgetBytes, "the machine's memory unknown"));

    /// The machine's memory as this process sees it: the runtime's total available memory (the physical memory, or the container's
    /// limit: cgroup v1 and v2), capped by MACESCF_MEMORY_LIMIT_GB when set; null when neither is known.
    public static (double Bytes, string Source)? MachineBytes() =>
        MachineBytes(GC.GetGCMemoryInfo().TotalAvailableMemoryBytes, Environment.GetEnvironmentVariable(ElectrostaticsMemory.LimitVariable));

    /// The machine's memory from the runtime's total available bytes (0: unknown) and the text of MACESCF_MEMORY_LIMIT_GB (null: unset).
    public static (double Bytes, string Source)? MachineBytes(double runtime, string? limitGb)
    {
        double? limit = double.TryParse(limitGb, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture,
            out double gb) && gb > 0 ? gb * 1e9 : null;
        if (limit is double cap && (runtime <= 0 || cap < runtime)) return (cap, $"({ElectrostaticsMemory.LimitVariable})");
        return runtime > 0 ? (runtime, "of machine memory (physical or container limit)") : null;
    }

    /// Edges per block of the automatic chunks (the size every whole-model measurement used).
    public const int DefaultAutomaticEdgeChunk = 20_000;

    /// Bytes per estimated graph number and byte of the number itself: the intermediates and gradients of the backward pass, fitted
    /// to the peak memory of the trained water model (float64) with and without chunks (docs/benchmarks.md).
    public const double Overhead = 1.3;

    /// Bytes per estimated graph number of a backbone computing in <paramref name="dtype"/> (its interactions and contractions).
    public static double BytesPerNumber(ScalarType dtype) => Overhead * dtype switch
    {
        ScalarType.Float32 => 4,
        ScalarType.Float64 => 8,
        _ => throw new ArgumentException($"no graph estimate for a backbone computing in {dtype}", nameof(dtype)),
    };

    /// Bytes the unchunked backbone keeps on its autograd graph for <paramref name="nodes"/> atoms and <paramref name="edges"/> edges:
    /// per node and layer every monomial of the symmetric contraction, per edge and layer the tensor product's weights and message,
    /// each a number of the backbone's compute dtype.
    public static double GraphBytes(MaceModel model, long nodes, long edges) =>
        BytesPerNumber(model.ComputeDtype) * (nodes * (double)model.Products.Sum(p => p.GraphNumbersPerNode)
                                              + edges * (double)model.Interactions.Sum(i => i.GraphNumbersPerEdge));

    /// Bytes the largest layer of an unchunked evaluation without a graph holds at once: the layers run one after the other and
    /// free their per-edge weights and messages and per-node monomials, so one layer's numbers of <see cref="GraphBytes"/>.
    public static double LayerBytes(MaceModel model, long nodes, long edges) =>
        Enumerable.Range(0, model.Interactions.Count).Max(t => BytesPerNumber(model.ComputeDtype)
            * (nodes * (double)model.Products[t].GraphNumbersPerNode + edges * (double)model.Interactions[t].GraphNumbersPerEdge));

    /// Bytes the convolutions keep when the symmetric contractions run in node blocks: per tiled edge row (on average half a tile of
    /// padding per receiver) and layer what <see cref="ChannelwiseTensorProduct.ConvolveTiles"/> keeps for its backward pass
    /// (<see cref="InteractionBlock.ConvolutionNumbersPerRow"/>); with a graph (<paramref name="keepsGraph"/>) every layer's, without one
    /// the largest layer's.
    public static double ConvolutionBytes(MaceModel model, long nodes, long edges, bool keepsGraph)
    {
        double rows = edges + nodes * (EdgeTiles.Size - 1) / 2.0;
        var layers = model.Interactions.Select(i => BytesPerNumber(model.ComputeDtype) * rows * i.ConvolutionNumbersPerRow);
        return keepsGraph ? layers.Sum() : layers.Max();
    }

    /// The chunks for an evaluation of this size (<see cref="MaceModel.EdgeChunkSize"/> not set): none when it fits the model's budget,
    /// with a graph kept for gradients (<paramref name="keepsGraph"/>) by <see cref="GraphBytes"/>, without one (energies, the
    /// per-geometry state of an SCF without forces) by <see cref="LayerBytes"/>. Above the budget the symmetric contractions run in
    /// node blocks, and the convolutions in blocks of <see cref="MaceModel.AutomaticEdgeChunk"/> edges only when their own part
    /// (<see cref="ConvolutionBytes"/>) is above it too, or when the model says so (<see cref="MaceModel.ContractionsFirst"/>): recomputing a contraction costs a few per cent
    /// of an energy + forces, recomputing the convolutions and their radial MLPs (per edge, not per pair) half of it
    /// (docs/benchmarks.md, "Automatic chunks: the contractions first").
    /// <param name="model">the backbone whose memory is estimated</param>
    /// <param name="nodes">atoms of the batch</param>
    /// <param name="edges">edges of the batch</param>
    /// <param name="keepsGraph">the graph is kept for gradients (forces, stress, training)</param>
    /// <param name="training">the graph is kept for a parameter gradient (training): the whole estimate counts
    /// <see cref="TrainingFactor"/> times <see cref="GraphBytes"/></param>
    public static BackboneChunks AutomaticChunks(MaceModel model, long nodes, long edges, bool keepsGraph = true, bool training = false)
    {
        if (Estimate(model, nodes, edges, keepsGraph, training) <= model.AutomaticChunkBytes) return default;
        int? nodeChunk = model.NodeChunk(model.AutomaticEdgeChunk);
        return model.ContractionsFirst && nodeChunk is not null && ConvolutionBytes(model, nodes, edges, keepsGraph) <= model.AutomaticChunkBytes
            ? new BackboneChunks(null, nodeChunk)
            : new BackboneChunks(model.AutomaticEdgeChunk, nodeChunk);
    }

    /// How much a graph kept for a parameter gradient holds against <see cref="GraphBytes"/>: the double backward of a force loss keeps
    /// the first backward pass's graph too (issue 19's training step on 8 × 64 atoms / 128 channels peaked at 9.67 GiB unchunked, the
    /// energy + forces of 512 atoms at 3.45 GiB, for estimates of 2.80 and 2.85 GB: docs/benchmarks.md).
    public const double TrainingFactor = 2.8;

    /// What the automatic chunks compare with the budget: <see cref="GraphBytes"/> (times <see cref="TrainingFactor"/> for training)
    /// for an evaluation kept for gradients, <see cref="LayerBytes"/> for one without a graph.
    public static double Estimate(MaceModel model, long nodes, long edges, bool keepsGraph, bool training) =>
        keepsGraph ? GraphBytes(model, nodes, edges) * (training ? TrainingFactor : 1) : LayerBytes(model, nodes, edges);

    /// The estimate and the decision for an evaluation of this size, in words ("graph estimate 3.24 GB ≤ budget 4.11 GB: unchunked").
    public static string Describe(MaceModel model, long nodes, long edges, bool keepsGraph = true, bool training = false)
    {
        double estimate = Estimate(model, nodes, edges, keepsGraph, training);
        string budget = ElectrostaticsMemory.Gigabytes(model.AutomaticChunkBytes);
        string size = $"{(keepsGraph ? training ? "training graph" : "graph" : "largest layer")} estimate {ElectrostaticsMemory.Gigabytes(estimate)}";
        if (model.EdgeChunkSize is int chunk) return $"{size}; edge chunks of {chunk} set by hand, node blocks {model.NodeChunk(chunk)?.ToString() ?? "none"}";
        var chunks = AutomaticChunks(model, nodes, edges, keepsGraph, training);
        return chunks == default ? $"{size} ≤ budget {budget}: unchunked"
            : $"{size} > budget {budget}: edge chunks {chunks.Edges?.ToString() ?? "none"}, node blocks {chunks.Nodes}";
    }
}

/// Blocks of an evaluation of the backbone: most edges per block of the convolutions and most nodes per block of the symmetric
/// contractions (null: whole).
internal readonly record struct BackboneChunks(int? Edges, int? Nodes);
