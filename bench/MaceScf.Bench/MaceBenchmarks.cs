using MaceScf.Models;
using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using MaceScf;
using MaceScf.Data;
using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// A periodic simple-cubic crystal (spacing 2.5 Å, atoms jittered by up to 0.1 Å, one element) of n³ atoms and a MACE
/// model with max_ell 3, correlation 3, 2 layers, r_max 5 (≈ 33 neighbours per atom), float64.
internal sealed class MaceBenchmarkSystem
{
    public MaceBenchmarkSystem(int atoms, int channels)
    {
        var configuration = JitteredCubicCrystal.Create(atoms, _ => 14);
        var species = new SpeciesTable([14]);
        torch.random.manual_seed(0);
        Model = new MaceModel(new MaceHyperparameters
        {
            AtomicNumbers = [14], RMax = 5.0, MaxEll = 3, Correlation = 3, NumInteractions = 2,
            HiddenIrreps = $"{channels}x0e+{channels}x1o", AvgNumNeighbors = 33,
        });
        Batch = GraphBatch.Build([configuration], 5.0, species);
        Inputs = MaceInputs.FromBatch(Batch);
    }

    public MaceModel Model { get; }

    public GraphBatch Batch { get; }

    public MaceInputs Inputs { get; }

    private SystemInputs SystemInputs => new(Inputs, torch.ones(Inputs.NumGraphs, 3, dtype: ScalarType.Bool));

    /// One energy + forces evaluation; returns the energy.
    public double EnergyAndForces()
    {
        using var scope = NewDisposeScope();
        var prediction = Model.Predict(SystemInputs, new PredictionRequest());
        return prediction.Energy.item<double>() + 0 * prediction.Forces!.sum().item<double>();
    }

    /// One force-training step's gradient: energy + forces with their graph, then ∂(E² + ΣF²)/∂θ (double backward).
    public double TrainingGradient()
    {
        using var scope = NewDisposeScope();
        Model.zero_grad();
        var prediction = Model.Predict(SystemInputs, new PredictionRequest { CreateGraph = true, Training = true });
        var loss = prediction.Energy.Squared().sum().Plus(prediction.Forces!.Squared().sum());
        loss.backward();
        return loss.item<double>();
    }
}

/// Energy + forces of periodic cells of 64, 216 and 512 atoms, 2 threads.
[SimpleJob(launchCount: 1, warmupCount: 2, iterationCount: 5)]
public class MaceBenchmarks
{
    private MaceBenchmarkSystem _system = null!;

    [Params(64, 216, 512)]
    public int Atoms { get; set; }

    [Params(32, 128)]
    public int Channels { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        NativeTuning.Apply();
        torch.set_num_threads(2);
        _system = new MaceBenchmarkSystem(Atoms, Channels);
    }

    [Benchmark]
    public double EnergyAndForces() => _system.EnergyAndForces();
}

/// A quick timing harness (`mace-timing ATOMS CHANNELS [REPEATS] [--untuned] [--training]`) for a busy machine: mean and
/// best time of energy + forces (or, with --training, of a force-training gradient) after one warm-up, and the process's
/// peak resident memory.
public static class MaceTiming
{
    public static void Run(string[] args)
    {
        int atoms = int.Parse(args[0]), channels = int.Parse(args[1]), repeats = args.Length > 2 ? int.Parse(args[2]) : 5;
        if (!args.Contains("--untuned")) NativeTuning.Apply();
        torch.set_num_threads(2);
        var system = new MaceBenchmarkSystem(atoms, channels);
        bool training = args.Contains("--training");
        Func<double> step = training ? system.TrainingGradient : system.EnergyAndForces;
        var times = StopwatchRuns.Time(step, repeats);
        string peak = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM")) ?? "VmHWM: n/a";
        Console.WriteLine($"{(training ? "training gradient" : "energy+forces")}: atoms {atoms} channels {channels} edges {system.Batch.EdgeCount}: mean {times.Average():F1} ms, best {times.Min():F1} ms, " +
            $"{times.Min() / atoms:F3} ms/atom, peak RSS {peak.Split(':')[1].Trim()}");
    }
}
