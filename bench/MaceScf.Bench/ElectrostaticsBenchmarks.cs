using System.Diagnostics;
using BenchmarkDotNet.Attributes;
using MaceScf.Electrostatics;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// A periodic box of N atoms at 0.1 atoms/Å³ (liquid-water-like) with charges ±0.5 e and small
/// dipoles, evaluated with the default electrostatics options (σ = 1.5, widths [1, 2], l ≤ 1,
/// factor 1.25; pbc TTT resolves mixed_periodic to pbc).
public sealed class PeriodicBox
{
    public PeriodicBox(int atoms, int seed = 7)
    {
        var generator = new Generator((ulong)seed);
        double edge = Math.Cbrt(atoms / 0.1);
        Cell = eye(3, dtype: float64).Times(edge);
        Positions = rand(atoms, 3, dtype: float64, generator: generator).Times(edge);
        using var two = 2.ToScalar();
        var charges = HeldScalars.Range(atoms, float64).remainder(two).Minus(0.5);
        Coefficients = cat(new[] { charges.unsqueeze(1), randn(atoms, 3, dtype: float64, generator: generator).Times(0.05) }, 1);
    }

    public Tensor Positions { get; }
    public Tensor Cell { get; }
    public Tensor Coefficients { get; }
    public static Tensor Pbc => tensor(new[] { true, true, true });
}

[MemoryDiagnoser(false)]
public class ElectrostaticsBenchmarks
{
    PeriodicBox _box = null!;
    ElectrostaticsPlan _plan = null!;

    [Params(100, 1000, 5000)]
    public int Atoms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _box = new PeriodicBox(Atoms);
        _plan = new ElectrostaticsPlan(new ElectrostaticsOptions(), _box.Positions, _box.Cell, PeriodicBox.Pbc);
    }

    [GlobalCleanup]
    public void Cleanup() => _plan.Dispose();

    [Benchmark]
    public double EnergyAndForces() => ElectrostaticsTiming.EnergyAndForces(_box);

    [Benchmark]
    public double FeaturesAtFixedGeometry()
    {
        using var scope = NewDisposeScope();
        return _plan.FieldFeatures(_box.Coefficients).sum().item<double>();
    }
}

/// Plain stopwatch timings for the shared machine, where a full BenchmarkDotNet run is too slow:
/// `dotnet run -c Release --project bench/MaceScf.Bench -- electrostatics [N ...]`.
public static class ElectrostaticsTiming
{
    /// Builds the plan (k-vectors, cos/sin) from positions that require grad, evaluates E and F = −∂E/∂r.
    public static double EnergyAndForces(PeriodicBox box, ElectrostaticsOptions? options = null)
    {
        using var scope = NewDisposeScope();
        var positions = box.Positions.detach().requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options ?? new ElectrostaticsOptions(), positions, box.Cell, PeriodicBox.Pbc);
        var energy = plan.Energy(box.Coefficients).sum();
        var forces = -autograd.grad([energy], [positions])[0];
        return energy.item<double>() + forces.abs().sum().item<double>();
    }

    /// One libtorch thread: on the oversubscribed shared machine two threads made small kernels
    /// up to 100× slower (thread hand-off), which would measure the neighbours, not this code.
    public static void Run(int[] sizes)
    {
        if (sizes.Length == 0) sizes = [100, 1000, 5000];
        set_num_threads(1);
        Console.WriteLine($"threads {get_num_threads()}; default options, k_c = {new ElectrostaticsOptions().KspaceCutoff:F4} 1/Å");
        Console.WriteLine("atoms | k-vectors | energy+forces (ms) | plan build (ms) | energy at fixed plan (ms) | features at fixed plan (ms)");
        foreach (int n in sizes)
        {
            var box = new PeriodicBox(n);
            int repeats = n <= 100 ? 20 : n <= 1000 ? 5 : 2;
            EnergyAndForces(box);
            double energyForces = Time(repeats, () => EnergyAndForces(box));
            int kCount = 0;
            double build = Time(repeats, () =>
            {
                using var scope = NewDisposeScope();
                using var plan = new ElectrostaticsPlan(new ElectrostaticsOptions(), box.Positions, box.Cell, PeriodicBox.Pbc);
                kCount = plan.KVectorCount;
            });
            using var fixedPlan = new ElectrostaticsPlan(new ElectrostaticsOptions(), box.Positions, box.Cell, PeriodicBox.Pbc);
            double energy = Time(repeats * 5, () => { using var s = NewDisposeScope(); fixedPlan.Energy(box.Coefficients).item<double>(); });
            double features = Time(repeats * 5, () => { using var s = NewDisposeScope(); fixedPlan.FieldFeatures(box.Coefficients).sum().item<double>(); });
            Console.WriteLine($"{n} | {kCount} | {energyForces:F1} | {build:F1} | {energy:F2} | {features:F2}");
        }
    }

    /// `electrostatics-scaling METHOD N [REPEATS]`: energy + forces of the N-atom box with kspace_method METHOD
    /// (ewald, pme), best of REPEATS after a warm-up, and the peak resident memory of the process (run one size per process).
    public static void Scaling(string[] args)
    {
        var method = KspaceMethodNames.Parse(args[0]);
        int n = int.Parse(args[1]);
        int repeats = args.Length > 2 ? int.Parse(args[2]) : 2;
        NativeTuning.Apply();
        set_num_threads(2);
        var options = new ElectrostaticsOptions { KspaceMethod = method };
        var box = new PeriodicBox(n);
        string grid = "";
        {
            using var scope = NewDisposeScope();
            using var plan = new ElectrostaticsPlan(options, box.Positions, box.Cell, PeriodicBox.Pbc);
            grid = plan.Describe(0);
        }
        double best = double.MaxValue, bestCpu = double.MaxValue;
        var process = Process.GetCurrentProcess();
        for (int r = 0; r <= repeats; r++)
        {
            process.Refresh();
            var cpu = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            EnergyAndForces(box, options);
            process.Refresh();
            if (r > 0 || repeats == 0)
            {
                best = Math.Min(best, watch.Elapsed.TotalSeconds);
                bestCpu = Math.Min(bestCpu, (process.TotalProcessorTime - cpu).TotalSeconds);
            }
        }
        // The process CPU time (both threads) is the steadier measure on a loaded machine.
        Console.WriteLine($"{method.ToName()} | {n} | {grid} | {best:F3} s | {best / n * 1e6:F1} µs/atom | CPU {bestCpu:F3} s, {bestCpu / n * 1e6:F1} µs/atom | peak RSS {PeakResidentGigabytes():F2} GB");
    }

    /// VmHWM of /proc/self/status in GB.
    public static double PeakResidentGigabytes()
    {
        var line = File.ReadAllLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"));
        return double.Parse(line.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries)[1]) / 1024 / 1024;
    }

    static double Time(int repeats, Action action)
    {
        var watch = Stopwatch.StartNew();
        for (int i = 0; i < repeats; i++) action();
        return watch.Elapsed.TotalMilliseconds / repeats;
    }
}
