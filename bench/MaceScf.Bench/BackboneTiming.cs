using System.Diagnostics;
using System.Globalization;
using MaceScf.Data;
using MaceScf.Mace;
using MaceScf.Models;
using MaceScf.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// `backbone-timing ATOMS CHANNELS [--training] [--float32] [--edge-chunk E] [--memory-gb G] [--elements Z] [--repeats R] [--threads T] [--profile] [--per-edge]` (issue 19's cases, docs/benchmarks.md "Backbone
/// speed and memory"): the MACE backbone (one element, r_max 5 Å, 2 layers, max_ell 3, correlation 3, hidden irreps
/// Cx0e+Cx1o, radial MLP [64, 64, 64], float64) on random periodic boxes at 0.1 atoms/Å³ (≈ 52 edges per atom), 2 threads (--threads),
/// process tuning on. Energy + forces of one box of ATOMS atoms, or with --training one force-training step on a batch of
/// 8 boxes of ATOMS atoms (E + F loss with create_graph, backward, Adam). --float32: the layers in float32 (inference:
/// <see cref="MaceModel.UseComputeDtype"/>; training: a float32 model, as `train --default_dtype float32`); --edge-chunk:
/// <see cref="MaceModel.EdgeChunkSize"/>; --memory-gb: the automatic chunks' budget (<see cref="MaceModel.AutomaticChunkBytes"/>, default
/// the machine's, <see cref="BackboneMemory.MachineBudget"/>; 2: the fixed budget before it); --elements: 1–4 elements (default 2, H and O: the issue's parameter counts). Prints the
/// median and minimum of R (default 7) runs after one warm-up, the median and minimum CPU time of the process per run, and the
/// peak RSS (VmHWM) of the process: run one process per case. --profile: the E+F case block by block (<see cref="BackboneProfile"/>). --per-edge: the geometry and radial MLPs once
/// per edge instead of once per undirected pair (<see cref="MaceModel.PairedEdges"/>: the state before the pairing).
public static class BackboneTiming
{
    public const double Density = 0.1;
    public const int TrainingBatch = 8;

    public static void Run(string[] args)
    {
        int atoms = int.Parse(args[0]), channels = int.Parse(args[1]);
        bool training = args.Contains("--training"), float32 = args.Contains("--float32");
        int repeats = Option(args, "--repeats") ?? 7, elements = Option(args, "--elements") ?? 2;
        int? chunk = Option(args, "--edge-chunk");
        NativeTuning.Apply();
        torch.set_num_threads(Option(args, "--threads") ?? 2);
        torch.random.manual_seed(0);
        int[] numbers = [.. new[] { 1, 8, 6, 7 }.Take(elements).Order()];
        var species = new SpeciesTable(numbers);
        var boxes = Enumerable.Range(0, training ? TrainingBatch : 1).Select(k => RandomBox(atoms, 42 + k, numbers)).ToArray();
        var hyperparameters = new MaceHyperparameters
        {
            AtomicNumbers = numbers, RMax = 5.0, MaxEll = 3, Correlation = 3, NumInteractions = 2,
            HiddenIrreps = $"{channels}x0e+{channels}x1o", AvgNumNeighbors = 52,
        };
        using var model = new MaceModel(hyperparameters, training && float32 ? ScalarType.Float32 : ScalarType.Float64);
        if (float32 && !training) model.UseComputeDtype(ScalarType.Float32);
        model.EdgeChunkSize = chunk;
        if (Option(args, "--memory-gb") is int gb) model.AutomaticChunkBytes = gb * 1e9;
        model.PairedEdges = !args.Contains("--per-edge");
        using var batch = GraphBatch.Build(boxes, 5.0, species, model.Dtype);
        var inputs = new SystemInputs(MaceInputs.FromBatch(batch), torch.ones(boxes.Length, 3, dtype: ScalarType.Bool));
        using var adam = new TorchOptimizer(torch.optim.Adam(model.parameters(), 1e-6));
        Func<double> step = training
            ? () =>
            {
                using var scope = NewDisposeScope();
                adam.ZeroGrad();
                var p = model.Predict(inputs, new PredictionRequest { CreateGraph = true, Training = true });
                var loss = p.Energy.Squared().sum().DividedBy(atoms).DividedBy(atoms).Plus(p.Forces!.Squared().mean());
                loss.backward();
                adam.Step();
                return loss.to_type(ScalarType.Float64).item<double>();
            }
            : () =>
            {
                using var scope = NewDisposeScope();
                var p = model.Predict(inputs, new PredictionRequest());
                return p.Energy.item<double>() + p.Forces!.sum().item<double>();
            };
        if (!training) foreach (var p in model.parameters()) p.requires_grad_(false);
        if (args.Contains("--profile"))
        {
            BackboneProfile.Run(model, inputs.Graph, repeats, () => step());
            return;
        }
        // CPU time of the process per run beside the wall time: on a shared machine it counts the work, not the waiting.
        var cpu = new List<double>();
        var process = Process.GetCurrentProcess();
        var times = StopwatchRuns.Time(() =>
        {
            process.Refresh();
            var before = process.TotalProcessorTime;
            double value = step();
            process.Refresh();
            cpu.Add((process.TotalProcessorTime - before).TotalMilliseconds);
            return value;
        }, repeats);
        times.Sort();
        cpu = [.. cpu.Skip(1).Order()];
        double median = times.Count % 2 == 1 ? times[times.Count / 2] : (times[times.Count / 2 - 1] + times[times.Count / 2]) / 2;
        string load = File.ReadAllText("/proc/loadavg").Split(' ')[0];
        // The blocks this evaluation ran in: set by --edge-chunk, or chosen by the graph estimate (BackboneMemory).
        var blocks = chunk is int c ? new BackboneChunks(c, model.NodeChunk(c))
            : BackboneMemory.AutomaticChunks(model, atoms * (long)boxes.Length, batch.EdgeCount, training: training);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{(training ? $"training step {TrainingBatch}x{atoms}" : $"E+F {atoms}")} atoms, {channels} ch, {(float32 ? "float32" : "float64")}" +
            $"{(chunk is null ? "" : $", edge chunk {chunk}")}{(model.PairedEdges ? "" : ", per edge")}: " +
            $"graph estimate {BackboneMemory.GraphBytes(model, atoms * (long)boxes.Length, batch.EdgeCount) / 1e9:F2} GB (convolutions " +
            $"{BackboneMemory.ConvolutionBytes(model, atoms * (long)boxes.Length, batch.EdgeCount, keepsGraph: true) / 1e9:F2} GB), blocks of " +
            $"{blocks.Edges?.ToString() ?? "all"} edges and {blocks.Nodes?.ToString() ?? "all"} nodes (budget {model.AutomaticChunkBytes / 1e9:F2} GB), " +
            $"{batch.EdgeCount / (double)(atoms * boxes.Length):F1} edges/atom, {model.ParameterCount} parameters: median {median:F0} ms, " +
            $"min {times[0]:F0} ms (of {repeats}), CPU median {cpu[cpu.Count / 2]:F0} ms min {cpu[0]:F0} ms, peak RSS {PeakResidentGigabytes():F2} GiB, load {load}"));
    }

    /// Uniformly random positions in a periodic cube at <see cref="Density"/> (fixed seed).
    public static Configuration RandomBox(int atoms, int seed, int[] numbers)
    {
        double length = Math.Cbrt(atoms / Density);
        var random = new Random(seed);
        var positions = new double[atoms, 3];
        for (int i = 0; i < atoms; i++)
            for (int d = 0; d < 3; d++) positions[i, d] = length * random.NextDouble();
        var cell = new double[,] { { length, 0, 0 }, { 0, length, 0 }, { 0, 0, length } };
        return new Configuration(Enumerable.Range(0, atoms).Select(i => numbers[i % numbers.Length]).ToArray(), positions, cell, [true, true, true]);
    }

    static int? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 ? int.Parse(args[i + 1]) : null;
    }

    static double PeakResidentGigabytes() =>
        double.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"))["VmHWM:".Length..].Trim().Split(' ')[0],
            CultureInfo.InvariantCulture) / (1024 * 1024);
}
