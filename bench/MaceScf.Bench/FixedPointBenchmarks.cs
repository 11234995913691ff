using MaceScf.Models;
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
/// update's output weights are scaled by the response scale (default <see cref="ResponseScale"/>) and the local density's last
/// layer by <see cref="ResponseScale"/>.
internal sealed class FixedPointBenchmarkSystem
{
    public const double ResponseScale = 0.02;

    public FixedPointBenchmarkSystem(int atoms, int channels, KspaceMethod kspace = KspaceMethod.Auto, double responseScale = ResponseScale)
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
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.Pbc, FieldFeatureWidths = [1.5, 3.0], KspaceMethod = kspace },
            FieldFeatureNorms = [25.0, 25.0, 1.0, 1.0],
        });
        Model.Freeze();
        // Random weights give local charges and a response far larger than a trained model's; scale the update's output
        // and the local density's last layer so that the SCF converges.
        foreach (var (name, p) in Model.named_parameters())
            if (name.StartsWith("update.element_select_out") || (name.StartsWith("local_density") && name.Contains("linear_3")))
            {
                using var scale = (name.StartsWith("update") ? responseScale : ResponseScale).ToScalar();
                p.mul_(scale);
            }
        Batch = GraphBatch.Build([configuration], 5.0, new SpeciesTable([1, 8]));
        Inputs = SystemInputs.FromBatch(Batch) with { TotalCharge = zeros(1, dtype: float64) };
    }

    public FixedPointModel Model { get; }

    public GraphBatch Batch { get; }

    public SystemInputs Inputs { get; }
}

/// `fixedpoint-timing ATOMS CHANNELS [REPEATS] [--mixing A] [--dense-limit D] [--no-unroll] [--scf-modes] [--mixers] [--float32] [--per-edge] [--profile]`, after one
/// warm-up of each (--float32: the backbones' layers in float32, the SCF in float64, as `eval --default_dtype float32`):
/// * per-geometry work (backbone + p_local + plan, no gradients) and one SCF map step (update + one field evaluation);
/// * with --scf-modes, the SCF alone at constant μ and constant charge, on a geometry with and without a graph;
/// * energy + forces with the default SCF (constant charge, tolerance 1e−6, mixing A, default 0.25) and implicit forces,
///   best and mean of REPEATS, and one run split into forward, SCF without graph, implicit solve (Newton step) and backward;
///   the same with exactly 20 updates (tolerance 0) followed by the implicit stages;
/// * the same with forces through the unrolled SCF (best of 2; skipped with --no-unroll);
/// * a plain MACE (same size and channels, scalar last layer) energy + forces, best of REPEATS, and the ratios;
/// * with --profile instead of the last three: the cost of one map step, charge response and implicit-solve product, and
///   implicit energy + forces split into stages with its product counts, with the update's per-atom affine form off and on
///   (<see cref="Profile"/>).
public static class FixedPointTiming
{
    const int ForcedUpdates = 20;

    public static void Run(string[] args)
    {
        int atoms = int.Parse(args[0]), channels = int.Parse(args[1]);
        int repeats = args.Length > 2 && !args[2].StartsWith("--") ? int.Parse(args[2]) : 3;
        double mixing = Option(args, "--mixing") ?? 0.25;
        int denseLimit = (int)(Option(args, "--dense-limit") ?? 0);
        NativeTuning.Apply();
        torch.set_num_threads(2);
        var system = new FixedPointBenchmarkSystem(atoms, channels);
        var model = system.Model;
        // --float32: the backbone's layers in float32, the SCF and electrostatics in float64 (eval --default_dtype float32).
        bool float32 = args.Contains("--float32");
        if (float32) model.Backbone.UseComputeDtype(ScalarType.Float32);
        // --per-edge: the backbone's geometry and radial MLPs once per edge instead of once per undirected pair (before/after runs).
        model.Backbone.PairedEdges = !args.Contains("--per-edge");
        var options = new ScfOptions { MixingParameter = mixing };

        // Fastest of three (the first is a warm-up, but on a shared machine any run may be the disturbed one).
        double prepare = double.MaxValue, step = double.MaxValue;
        int kVectors = 0;
        const int steps = 20;
        for (int run = 0; run < 3; run++)
        {
            using var scope = NewDisposeScope();
            var watch = Stopwatch.StartNew();
            using var geometry = model.Prepare(system.Inputs);
            prepare = Math.Min(prepare, watch.Elapsed.TotalMilliseconds);
            kVectors = geometry.Plan.KVectorCount;
            var mu = zeros(atoms, dtype: float64);
            var p = geometry.LocalDensity;
            watch.Restart();
            for (int s = 0; s < steps; s++)
            {
                using var inner = NewDisposeScope();
                p = (p.Plus((geometry.Map(p, mu) - p).Times(0.25))).MoveToOuterDisposeScope();
            }
            step = Math.Min(step, watch.Elapsed.TotalMilliseconds / steps);
        }
        Console.WriteLine($"{(float32 ? "float32 backbone: " : "")}{(model.Backbone.PairedEdges ? "" : "per edge: ")}atoms {atoms} channels {channels} edges {system.Batch.EdgeCount} k-vectors {kVectors} unknowns {atoms * 4 + 1} "
            + $"(dense limit {denseLimit}), mixing {mixing}, load {Load()}");
        Console.WriteLine($"  backbone+local+plan {prepare:F1} ms, SCF map step {step:F2} ms ({100 * step / prepare:F1} % of the backbone pass)");

        if (args.Contains("--profile"))
        {
            Profile(system, options, denseLimit, repeats, atoms, channels);
            return;
        }
        if (args.Contains("--scf-modes"))
            foreach (bool grad in new[] { false, true })
            foreach (bool constantCharge in new[] { false, true })
            {
                // The SCF alone (second of two runs) at constant μ / constant charge, on a geometry built with or without a graph.
                using var scope = NewDisposeScope();
                var positions = system.Inputs.Graph.Positions.detach().requires_grad_(grad);
                using var geometry = model.Prepare(system.Inputs.WithGeometry(positions, system.Inputs.Graph.Cell));
                var o = options with { ConstantCharge = constantCharge };
                var (p0, mu0, charge) = model.InitialState(geometry, system.Inputs, o);
                ScfRunner.Run(geometry, o, p0, mu0, charge);
                var watch = Stopwatch.StartNew();
                var result = ScfRunner.Run(geometry, o, p0, mu0, charge);
                Console.WriteLine($"  SCF without graph, constant charge {constantCharge}, positions require grad {grad}: "
                    + $"{watch.Elapsed.TotalMilliseconds / result.Steps.Max():F2} ms per update, {result.Steps.Max()} updates");
            }
        if (args.Contains("--mixers"))
        {
            Mixers(system, options, denseLimit, repeats, atoms, channels);
            return;
        }
        var implicitRuns = new List<Breakdown>();
        var forcedRuns = new List<Breakdown>();
        var implicitTimes = StopwatchRuns.Time(() => implicitRuns.Add(Implicit(system, options, denseLimit)), repeats).ToArray();
        var implicitRun = Breakdown.Fastest(implicitRuns.Skip(1));
        Console.WriteLine($"  energy+forces, implicit: best {implicitTimes.Min():F0} ms, mean {implicitTimes.Average():F0} ms; {implicitRun}");
        // Exactly 20 updates (tolerance 0), then the implicit stages as for a converged SCF: a model converging in 20 updates.
        var forcedOptions = options with { NumScfSteps = ForcedUpdates + 1, ScfTolerance = 0 };
        var forcedTimes = StopwatchRuns.Time(() => forcedRuns.Add(Implicit(system, forcedOptions, denseLimit)), repeats).ToArray();
        var forcedRun = Breakdown.Fastest(forcedRuns.Skip(1));
        Console.WriteLine($"  energy+forces, implicit after exactly {ForcedUpdates} updates: best {forcedTimes.Min():F0} ms, "
            + $"mean {forcedTimes.Average():F0} ms; {forcedRun}");
        double? unrolled = null;
        if (!args.Contains("--no-unroll"))
        {
            unrolled = StopwatchRuns.Time(() => Unrolled(system, options), 2).Min();
            Console.WriteLine($"  energy+forces, unrolled: best {unrolled:F0} ms");
        }
        var mace = new MaceBenchmarkSystem(atoms, channels);
        if (float32) mace.Model.UseComputeDtype(ScalarType.Float32);
        double plain = StopwatchRuns.Time(() => mace.EnergyAndForces(), repeats).Min();
        Console.WriteLine($"  plain MACE energy+forces: best {plain:F0} ms");
        Console.WriteLine($"  ratios: SCF step (as run) / backbone+local+plan {implicitRun.ScfPerStep / prepare:F3}; "
            + $"implicit / plain MACE {implicitTimes.Min() / plain:F2} ({implicitRun.Updates} updates), "
            + $"{forcedTimes.Min() / plain:F2} ({ForcedUpdates} updates)"
            + (unrolled is { } u ? $"; unrolled / plain MACE {u / plain:F2}; unrolled / implicit {u / implicitTimes.Min():F2}" : "")
            + $"; load {Load()}");
    }

    /// --mixers: implicit energy + forces (best of REPEATS after a warm-up, fastest stages) with linear mixing and the Fukui weights
    /// differentiated at every update (as before they were computed once per geometry), with linear mixing, and with Anderson
    /// mixing (default depth), against a plain MACE energy + forces, all in one process.
    static void Mixers(FixedPointBenchmarkSystem system, ScfOptions options, int denseLimit, int repeats, int atoms, int channels)
    {
        var mace = new MaceBenchmarkSystem(atoms, channels);
        double plain = StopwatchRuns.Time(() => mace.EnergyAndForces(), repeats).Min();
        Console.WriteLine($"  plain MACE energy+forces: best {plain:F0} ms");
        foreach (var (name, o, perUpdate) in new[]
                 {
                     ("linear, Fukui weights every update", options, true), ("linear", options, false),
                     ($"anderson (depth {options.AndersonDepth})", options with { Mixer = ScfMixer.Anderson }, false),
                 })
        {
            var runs = new List<Breakdown>();
            var times = StopwatchRuns.Time(() => runs.Add(Implicit(system, o, denseLimit, perUpdate)), repeats).ToArray();
            var fastest = Breakdown.Fastest(runs.Skip(1));
            Console.WriteLine($"  {name}: energy+forces implicit best {times.Min():F0} ms, mean {times.Average():F0} ms, "
                + $"{times.Min() / plain:F2}× plain MACE; {fastest}; load {Load()}");
        }
        double again = StopwatchRuns.Time(() => mace.EnergyAndForces(), repeats).Min();
        Console.WriteLine($"  plain MACE energy+forces again: best {again:F0} ms; load {Load()}");
    }

    /// The variants --profile compares: the update's per-atom affine form on or off, and the implicit solves' matrix-free products
    /// of the whole update map (as before the graph-free one-body products) or graph-free (<see cref="OneBodyOperator"/>).
    static readonly (string Name, bool Form, bool MapProducts)[] ProfileVariants =
        [("affine form off, map products", false, true), ("affine form on, map products", true, true), ("affine form on, graph-free products", true, false)];

    /// --profile: the product costs (<see cref="ProductCosts"/>) with the update's per-atom affine form off (as before it existed) and
    /// on; then implicit energy + forces of every <see cref="ProfileVariants"/> entry, alternating (REPEATS each after a warm-up,
    /// fastest stages), the fixed-point model's backbone alone (energy + forces of its own energy) and a plain MACE energy + forces
    /// (best of REPEATS each), in one process.
    static void Profile(FixedPointBenchmarkSystem system, ScfOptions options, int denseLimit, int repeats, int atoms, int channels)
    {
        foreach (bool form in new[] { false, true })
        {
            system.Model.AffineUpdateForm = form;
            Console.Write($"  affine form {(form ? "on " : "off")}: ");
            ProductCosts(system.Model, system.Inputs, options);
        }
        var runs = ProfileVariants.Select(_ => new List<(double Total, Breakdown Stages)>()).ToArray();
        for (int r = 0; r <= repeats; r++)
            for (int v = 0; v < ProfileVariants.Length; v++)
            {
                system.Model.AffineUpdateForm = ProfileVariants[v].Form;
                var watch = Stopwatch.StartNew();
                var stages = Implicit(system, options, denseLimit, mapProducts: ProfileVariants[v].MapProducts);
                if (r > 0) runs[v].Add((watch.Elapsed.TotalMilliseconds, stages));
            }
        system.Model.AffineUpdateForm = true;
        double backbone = StopwatchRuns.Time(() => BackboneEnergyAndForces(system), repeats).Min();
        var mace = new MaceBenchmarkSystem(atoms, channels);
        double plain = StopwatchRuns.Time(() => mace.EnergyAndForces(), repeats).Min();
        for (int v = 0; v < ProfileVariants.Length; v++)
        {
            double best = runs[v].Min(x => x.Total);
            Console.WriteLine($"  {ProfileVariants[v].Name}: energy+forces implicit best {best:F0} ms = {best / plain:F2}× plain MACE; "
                + $"{Breakdown.Fastest(runs[v].Select(x => x.Stages))}");
        }
        Console.WriteLine($"  the fixed-point backbone alone, energy+forces: best {backbone:F0} ms = {backbone / plain:F2}× plain MACE");
        Console.WriteLine($"  plain MACE energy+forces: best {plain:F0} ms; load {Load()}");
    }

    /// Energy + forces of the fixed-point model's backbone alone (its E0 + interaction energy; the full last layer the model keeps).
    internal static void BackboneEnergyAndForces(FixedPointBenchmarkSystem system) => BackboneEnergyAndForces(system.Model, system.Inputs);

    internal static void BackboneEnergyAndForces(FixedPointModel model, SystemInputs inputs)
    {
        using var scope = NewDisposeScope();
        var graph = inputs.Graph;
        var positions = graph.Positions.detach().requires_grad_(true);
        var output = model.Backbone.forward(graph with { Positions = positions });
        var forces = -autograd.grad([output.Energy.sum()], [positions])[0];
        _ = forces.sum().item<double>();
    }

    /// On a geometry whose positions require gradients (as for forces), the mean time of a map step without autograd, of the charge
    /// response ∂(Σ Δq)/∂μ through a whole step and through the update alone (<see cref="FixedPointGeometry.ChargeResponse"/>), and of
    /// one Jacobian–vector and one vector–Jacobian product of the implicit solves (the residual's graph built once, as
    /// LinearizedSolution does).
    internal static void ProductCosts(FixedPointModel model, SystemInputs inputs, ScfOptions options)
    {
        using var scope = NewDisposeScope();
        var positions = inputs.Graph.Positions.detach().requires_grad_(true);
        using var geometry = model.Prepare(inputs.WithGeometry(positions, inputs.Graph.Cell));
        var (p0, mu0, charge) = model.InitialState(geometry, inputs, options);
        var muNode = mu0.index_select(0, geometry.Batch);
        const int count = 5;
        double Mean(Action action)
        {
            action();
            var watch = Stopwatch.StartNew();
            for (int i = 0; i < count; i++)
            {
                using var inner = NewDisposeScope();
                action();
            }
            return watch.Elapsed.TotalMilliseconds / count;
        }
        double map = Mean(() =>
        {
            using var noGrad = no_grad();
            geometry.Step(p0, muNode);
        });
        double response = Mean(() =>
        {
            var mu = muNode.detach().requires_grad_(true);
            var update = geometry.Step(p0, mu).Update;
            autograd.grad([update[.., 0].sum()], [mu]);
        });
        double local = Mean(() => geometry.ChargeResponse(p0, muNode, createGraph: false));
        long n = p0.shape[0], k = p0.shape[1];
        var regions = FermiRegions.Whole(geometry.Batch, charge);
        var y = cat([p0.flatten(), mu0]).requires_grad_(true);
        var residual = LinearizedSolution.Residual(geometry, y, n, k, mu0, regions);
        var w = zeros_like(residual).requires_grad_(true);
        var wJ = autograd.grad([residual], [y], [w], retain_graph: true, create_graph: true)[0];
        var u = randn_like(residual);
        double jvp = Mean(() => autograd.grad([wJ], [w], [u], retain_graph: true));
        double vjp = Mean(() => autograd.grad([residual], [y], [u], retain_graph: true));
        var reference = cat([p0.flatten(), mu0]);
        var graphFree = OneBodyOperator.At(geometry, reference, n, k, mu0, regions, null);
        double jvpFree = Mean(() =>
        {
            using var noGrad = no_grad();
            graphFree.Apply(u);
        });
        double vjpFree = Mean(() =>
        {
            using var noGrad = no_grad();
            graphFree.ApplyTransposed(u);
        });
        Console.WriteLine($"positions require grad: map step without autograd {map:F2} ms; charge response ∂ΣΔq/∂μ by autograd "
            + $"through a whole step {response:F2} ms, through the update alone {local:F2} ms; Jacobian–vector product of the map {jvp:F2} ms, "
            + $"graph-free {jvpFree:F2} ms; vector–Jacobian product of the map {vjp:F2} ms, graph-free {vjpFree:F2} ms; load {Load()}");
    }

    /// The geometry's map with the Fukui weights of a general update (differentiated at every constant-charge update).
    sealed class PerUpdateFukuiMap(IFixedPointMap inner) : IFixedPointMap
    {
        public Tensor LocalDensity => inner.LocalDensity;
        public Tensor Batch => inner.Batch;
        public int NumGraphs => inner.NumGraphs;
        public ScfStep Step(Tensor density, Tensor fermiLevel) => inner.Step(density, fermiLevel);
        public Tensor Features(Tensor density, Tensor fermiLevel) => inner.Features(density, fermiLevel);
    }

    /// One implicit energy + forces split into its stages (what FixedPointModel.Evaluate does with forces_method implicit).
    internal readonly record struct Breakdown(double Forward, double Scf, int Updates, double Solve, double Backward, int ForwardProducts = 0,
        int AdjointProducts = 0)
    {
        public double ScfPerStep => Scf / Updates;

        /// The fastest time of each stage over several runs (the machine is shared: each stage's minimum is its least disturbed run).
        public static Breakdown Fastest(IEnumerable<Breakdown> runs) => runs.Aggregate((a, b) => new Breakdown(Math.Min(a.Forward, b.Forward),
            Math.Min(a.Scf, b.Scf), a.Updates, Math.Min(a.Solve, b.Solve), Math.Min(a.Backward, b.Backward), a.ForwardProducts, a.AdjointProducts));

        public override string ToString() => $"fastest stages: forward {Forward:F0} ms, SCF {Scf:F0} ms ({Updates} updates, {ScfPerStep:F2} ms each), "
            + $"implicit solve {Solve:F0} ms ({ForwardProducts} Jacobian–vector products), energy + backward {Backward:F0} ms "
            + $"({AdjointProducts} vector–Jacobian products)";
    }

    internal static Breakdown Implicit(FixedPointBenchmarkSystem system, ScfOptions options, int denseLimit, bool perUpdateFukui = false,
        bool mapProducts = false) => Implicit(system.Model, system.Inputs, options, denseLimit, perUpdateFukui, mapProducts);

    internal static Breakdown Implicit(FixedPointModel model, SystemInputs inputs, ScfOptions options, int denseLimit, bool perUpdateFukui = false,
        bool mapProducts = false)
    {
        using var scope = NewDisposeScope();
        var watch = Stopwatch.StartNew();
        var positions = inputs.Graph.Positions.detach().requires_grad_(true);
        using var geometry = model.Prepare(inputs.WithGeometry(positions, inputs.Graph.Cell));
        var (p0, mu0, charge) = model.InitialState(geometry, inputs, options);
        double forward = Lap(watch);
        // The groups whose μ are unknowns, as FixedPointModel builds them (one per structure at constant charge, none at constant μ).
        var regions = FixedPointModel.FermiRegionsOf(geometry, inputs, options, mu0, charge);
        var scf = ScfRunner.Run(perUpdateFukui ? new PerUpdateFukuiMap(geometry) : geometry, options, p0, mu0, charge, regions: regions);
        double scfTime = Lap(watch);
        var krylov = new KrylovReport();
        var (density, fermi) = LinearizedSolution.Solve(geometry, scf.Density, scf.RegionFermiLevels?.flatten() ?? scf.FermiLevel, regions, false,
                denseLimit, krylov, mapProducts)
            ?? throw new InvalidOperationException("the implicit solve is poor (Evaluate would fall back to the unroll)");
        double solve = Lap(watch);
        var atomFermi = regions?.OfAtoms(fermi) ?? fermi.index_select(0, geometry.Batch);
        var energy = model.Energy(geometry, density, geometry.Features(density, atomFermi), regions).Total;
        var forces = -autograd.grad([energy], [positions], [ones_like(energy)])[0];
        _ = forces.sum().item<double>();
        return new Breakdown(forward, scfTime, scf.Steps.Max(), solve, Lap(watch), krylov.ForwardProducts, krylov.AdjointProducts);
    }

    static void Unrolled(FixedPointBenchmarkSystem system, ScfOptions options)
    {
        using var scope = NewDisposeScope();
        var prediction = system.Model.Predict(system.Inputs, new PredictionRequest { Scf = options with { ForcesMethod = ForcesMethod.Unroll } });
        _ = prediction.Forces!.sum().item<double>();
    }

    internal static double Lap(Stopwatch watch)
    {
        double ms = watch.Elapsed.TotalMilliseconds;
        watch.Restart();
        return ms;
    }

    static double? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 ? double.Parse(args[i + 1], System.Globalization.CultureInfo.InvariantCulture) : null;
    }

    internal static string Load() => File.ReadAllText("/proc/loadavg").Split(' ')[0];
}
