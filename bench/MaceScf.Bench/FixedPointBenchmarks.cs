using System.Diagnostics;
using MaceScf;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// A periodic simple-cubic crystal (spacing 2.5 Å, jittered, alternating H and O) of n³ atoms and a fixed-point model with
/// max_ell 3, correlation 3, 2 layers, r_max 5, hidden C x0e + C x1o, σ = 1.5, field widths [1.5, 3.0], pbc, float64; the
/// update's output weights and the local density's last layer are scaled by <see cref="ResponseScale"/>.
public sealed class FixedPointBenchmarkSystem
{
    public const double ResponseScale = 0.02;

    public FixedPointBenchmarkSystem(int atoms, int channels)
    {
        var configuration = JitteredCubicCrystal.Create(atoms, i => i % 3 == 0 ? 8 : 1);
        torch.random.manual_seed(0);
        Model = new FixedPointModel(new FixedPointHyperparameters
        {
            Mace = new MaceHyperparameters
            {
                AtomicNumbers = [1, 8], RMax = 5.0, MaxEll = 3, Correlation = 3, NumInteractions = 2,
                HiddenIrreps = $"{channels}x0e+{channels}x1o", AvgNumNeighbors = 33,
            },
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.Pbc, FieldFeatureWidths = [1.5, 3.0] },
            FieldFeatureNorms = [25.0, 25.0, 1.0, 1.0],
        });
        foreach (var p in Model.parameters()) p.requires_grad_(false);
        // Random weights give local charges and a response far larger than a trained model's; scale the update's output
        // and the local density's last layer so that the SCF converges.
        foreach (var (name, p) in Model.named_parameters())
            if (name.StartsWith("update.element_select_out") || (name.StartsWith("local_density") && name.Contains("linear_3")))
                p.mul_(ResponseScale);
        Batch = GraphBatch.Build([configuration], 5.0, new SpeciesTable([1, 8]));
        Inputs = FixedPointInputs.FromBatch(Batch) with { TotalCharge = zeros(1, dtype: float64) };
    }

    public FixedPointModel Model { get; }

    public GraphBatch Batch { get; }

    public FixedPointInputs Inputs { get; }
}

/// `fixedpoint-timing ATOMS CHANNELS`: per-geometry work (backbone + p_local + plan), one SCF step (update + one field
/// evaluation), and full energy + forces with the default SCF settings, after one warm-up of each.
public static class FixedPointTiming
{
    public static void Run(string[] args)
    {
        int atoms = int.Parse(args[0]), channels = int.Parse(args[1]);
        NativeTuning.Apply();
        torch.set_num_threads(2);
        var system = new FixedPointBenchmarkSystem(atoms, channels);
        double prepare = 0, step = 0;
        int kVectors = 0;
        int steps = 20;
        for (int warm = 0; warm < 2; warm++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            using var geometry = system.Model.Prepare(system.Inputs);
            prepare = watch.Elapsed.TotalMilliseconds;
            kVectors = geometry.Plan.KVectorCount;
            var mu = zeros(atoms, dtype: float64);
            var p = geometry.LocalDensity;
            watch.Restart();
            for (int s = 0; s < steps; s++)
            {
                using var inner = NewDisposeScope();
                p = (p + 0.25 * (geometry.Map(p, mu) - p)).MoveToOuterDisposeScope();
            }
            step = watch.Elapsed.TotalMilliseconds / steps;
        }
        var options = new ScfOptions();
        system.Model.Evaluate(system.Inputs, options);
        var total = Stopwatch.StartNew();
        FixedPointPrediction prediction;
        using (var scope = NewDisposeScope())
        {
            prediction = system.Model.Evaluate(system.Inputs, options);
            total.Stop();
            Console.WriteLine($"atoms {atoms} channels {channels} edges {system.Batch.EdgeCount} k-vectors {kVectors}: backbone+local+plan {prepare:F1} ms, "
                + $"SCF step {step:F2} ms, default SCF {prediction.Scf.Status[0]} in {prediction.Scf.Steps[0]} updates, energy+forces "
                + $"{total.Elapsed.TotalMilliseconds:F0} ms");
        }
    }
}
