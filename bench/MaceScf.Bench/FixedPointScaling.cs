using System.Diagnostics;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// `fixedpoint-scaling ATOMS [CHANNELS] [--repeats R] [--linear] [--kspace_method ewald|pme|auto] [--edge-chunk E] [--stages]`: the whole fixed-point model (backbone, SCF, implicit
/// forces) of <see cref="FixedPointBenchmarkSystem"/> (periodic H₂O-like crystal, ATOMS a cube) — one
/// `FixedPointModel.Predict` with energy and forces, default options (kspace_method auto: ewald below 1,000 atoms, pme
/// from there on), Anderson mixing unless --linear, the backbone's convolution in blocks of E edges with --edge-chunk. Prints the best of R runs after a warm-up (R = 0: a single run, the
/// first), the time per atom, the SCF updates and the process's peak resident memory (one size per process).
public static class FixedPointScaling
{
    public static void Run(string[] args)
    {
        int atoms = int.Parse(args[0]);
        int channels = args.Length > 1 && !args[1].StartsWith("--") ? int.Parse(args[1]) : 32;
        int i = Array.IndexOf(args, "--repeats");
        int repeats = i >= 0 ? int.Parse(args[i + 1]) : 1;
        NativeTuning.Apply();
        set_num_threads(2);
        int k = Array.IndexOf(args, "--kspace_method");
        var kspace = k >= 0 ? KspaceMethodNames.Parse(args[k + 1]) : KspaceMethod.Auto;
        var system = new FixedPointBenchmarkSystem(atoms, channels, kspace);
        int e = Array.IndexOf(args, "--edge-chunk");
        if (e >= 0) system.Model.Backbone.EdgeChunkSize = int.Parse(args[e + 1]);
        var scf = new ScfOptions { Mixer = args.Contains("--linear") ? ScfMixer.Linear : ScfMixer.Anderson };
        if (args.Contains("--stages"))
        {
            var b = FixedPointTiming.Implicit(system, scf, 0);
            Console.WriteLine($"{atoms} atoms: {b}; peak RSS {ElectrostaticsTiming.PeakResidentGigabytes():F2} GB; load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
            return;
        }
        double best = double.MaxValue;
        int updates = 0;
        string status = "";
        string setup = "";
        for (int run = 0; run <= repeats; run++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            var prediction = system.Model.Predict(system.Inputs, new PredictionRequest { Scf = scf });
            _ = prediction.Forces!.sum().item<double>();
            double seconds = watch.Elapsed.TotalSeconds;
            if (run > 0 || repeats == 0) best = Math.Min(best, seconds);
            updates = prediction.Scf?.Steps.Max() ?? 0;
            status = prediction.Scf is { } result ? string.Join(",", result.Status.Select(ScfResult.Name)) : "";
            if (repeats == 0) break;
        }
        using (var scope = NewDisposeScope())
        using (var geometry = system.Model.Prepare(system.Inputs)) setup = geometry.Plan.Describe(0);
        Console.WriteLine($"{atoms} atoms | {channels} channels | {system.Batch.EdgeCount} edges | {setup} | {scf.Mixer} | {updates} updates ({status}) | "
            + $"{best:F2} s | {best / atoms * 1e3:F2} ms/atom | peak RSS {ElectrostaticsTiming.PeakResidentGigabytes():F2} GB | load {File.ReadAllText("/proc/loadavg").Split(' ')[0]}");
    }
}
