using System.Diagnostics;
using System.Globalization;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// `fixedpoint-model-timing MODEL XYZ [--frame I] [--replicate A,B,C] [--repeats R] [--mixing A] [--mixers linear,anderson] [--edge-chunk E]
/// [--products] [--save FILE] [--scaling] [--phases] [--memory-gb G] [--preconditioners on,off,...] [--anderson-depth M]`: a trained fixed-point model on one frame of an extxyz file (default the first), replicated
/// A×B×C times (default 1,1,1), neutral, the SCF started at the frame's `fermi_level`; 2 libtorch threads, float64; --edge-chunk: the
/// backbone's edge chunks and node-blocked contractions (<see cref="MaceScf.Mace.MaceModel.EdgeChunkSize"/>); --memory-gb: the automatic
/// chunks' budget (<see cref="MaceScf.Mace.MaceModel.AutomaticChunkBytes"/>; default the machine's).
/// * --phases: one converged evaluation with implicit forces per mixer split into phases, and the unit costs that split them (<see cref="Phases"/>);
/// * --scaling: one `Predict` with energy and implicit forces per mixer (best of R after a warm-up; R = 0: a single run), its wall and
///   process CPU time (both threads), per atom, the SCF updates and the process's peak resident memory;
/// * otherwise, per mixer (default linear and Anderson of the default depth; constant charge, mixing A, default 0.25, tolerance 1e−6):
///   the energy and SCF updates of one prediction (with --save, its energy and forces written to FILE.MIXER, for comparing builds),
///   then implicit energy + forces split into stages (best of R after a warm-up, <see cref="FixedPointTiming.Implicit(FixedPointModel,
///   SystemInputs, ScfOptions, int, bool, bool)"/>); with --products the mean cost of one graph-free Jacobian–vector and
///   vector–Jacobian product (<see cref="FixedPointTiming.ProductCosts"/>); then the model's backbone alone (energy + forces of its own
///   energy) and a plain MACE of the same backbone hyperparameters (scalar-only last layer, random weights) energy + forces, best of R
///   each.
/// --preconditioners: the implicit solves with (on) and without (off) <see cref="LongWavelengthPreconditioner"/>, each listed entry in turn
/// (repeat entries to interleave old and new in one process; default on); --save then writes FILE.MIXER.on / .off.
/// --anderson-depth: the Anderson mixer's history (default <see cref="ScfOptions.DefaultAndersonDepth"/>).
public static class TrainedModelTiming
{
    public static void Run(string[] args)
    {
        NativeTuning.Apply();
        set_num_threads(2);
        var model = ModelFile.Load(args[0]).Freeze();
        var frame = ExtXyzReader.ReadAll(args[1])[(int)(Option(args, "--frame") ?? 0)];
        int[] copies = Array.IndexOf(args, "--replicate") is var r and >= 0 ? args[r + 1].Split(',').Select(int.Parse).ToArray() : [1, 1, 1];
        int repeats = (int)(Option(args, "--repeats") ?? 3);
        double mixing = Option(args, "--mixing") ?? 0.25;
        var mixers = Array.IndexOf(args, "--mixers") is var m and >= 0
            ? args[m + 1].Split(',').Select(name => Enum.Parse<ScfMixer>(name, ignoreCase: true)).ToArray()
            : [ScfMixer.Linear, ScfMixer.Anderson];
        if (Option(args, "--edge-chunk") is { } chunk) model.Backbone.EdgeChunkSize = (int)chunk;
        if (Option(args, "--memory-gb") is { } gb) model.Backbone.AutomaticChunkBytes = gb * 1e9;
        bool[] preconditioners = Array.IndexOf(args, "--preconditioners") is var pc and >= 0
            ? args[pc + 1].Split(',').Select(name => name switch { "on" => true, "off" => false, _ => throw new ArgumentException($"--preconditioners: {name}") }).ToArray()
            : [true];
        var configuration = Replicate(frame, copies);
        var mace = model.Hyperparameters.Mace;
        var batch = GraphBatch.Build([configuration], mace.RMax, new SpeciesTable(mace.AtomicNumbers));
        double fermi = frame.Info.TryGetValue("fermi_level", out var value) ? Convert.ToDouble(value, CultureInfo.InvariantCulture)
            : model.Hyperparameters.FermiLevelOffset;
        var inputs = SystemInputs.FromBatch(batch) with { TotalCharge = zeros(1, dtype: float64), FermiLevel = tensor(new[] { fermi }, dtype: float64) };
        string setup;
        using (var scope = NewDisposeScope())
        using (var geometry = model.Prepare(inputs)) setup = geometry.Plan.Describe(0);
        Console.WriteLine($"{args[0]} on {args[1]} frame × {string.Join("×", copies)}: {configuration.AtomCount} atoms, {batch.EdgeCount} edges, "
            + $"{setup}, mixing {mixing}, backbone {BackboneMemory.Describe(model.Backbone, configuration.AtomCount, batch.EdgeCount)}, "
            + $"load {FixedPointTiming.Load()}");
        // The default divergence bound on |Q − Q_target| (10 e) is passed by the first constant-charge update of a large box whose local
        // charges are not exactly neutral (α·Σq_local grows with N) although the SCF converges: scaled with the size, as fixedpoint-scaling does.
        var scf = new ScfOptions { MixingParameter = mixing, DivergenceCharge = Math.Max(new ScfOptions().DivergenceCharge, 0.02 * configuration.AtomCount),
            AndersonDepth = (int)(Option(args, "--anderson-depth") ?? ScfOptions.DefaultAndersonDepth) };
        if (args.Contains("--phases"))
        {
            foreach (var mixer in mixers) Phases(model, inputs, scf with { Mixer = mixer }, Math.Max(1, repeats));
            return;
        }
        if (args.Contains("--scaling"))
        {
            foreach (var preconditioner in preconditioners)
            foreach (var mixer in mixers)
            {
                model.LongWavelengthPreconditioner = preconditioner;
                Console.Write($"  preconditioner {(preconditioner ? "on" : "off")}");
                Scaling(model, inputs, scf with { Mixer = mixer }, repeats);
            }
            return;
        }
        int save = Array.IndexOf(args, "--save");
        foreach (var preconditioner in preconditioners)
        foreach (var mixer in mixers)
        {
            model.LongWavelengthPreconditioner = preconditioner;
            string variant = preconditioner ? "on" : "off";
            var options = scf with { Mixer = mixer };
            using (var scope = NewDisposeScope())
            {
                var prediction = model.Predict(inputs, new PredictionRequest { Scf = options });
                var krylov = prediction.Derivation!.Krylov;
                Console.WriteLine($"  {mixer}, preconditioner {variant}: {prediction.Scf!.Steps.Max()} updates ({ScfResult.Name(prediction.Scf.Status[0])}), "
                    + $"E = {prediction.Energy.item<double>():R} eV, forces {prediction.Derivation.Method}"
                    + (krylov is null ? "" : $" ({krylov.ForwardProducts} + {krylov.AdjointProducts} products, {krylov.PreconditionerModes} preconditioner modes)"));
                if (save >= 0) Save($"{args[save + 1]}.{mixer}.{variant}", prediction);
            }
            var runs = new List<FixedPointTiming.Breakdown>();
            var times = StopwatchRuns.Time(() => runs.Add(FixedPointTiming.Implicit(model, inputs, options, 0)), repeats);
            Console.WriteLine($"  {mixer}, preconditioner {variant}: energy+forces implicit best {times.Min():F0} ms; {FixedPointTiming.Breakdown.Fastest(runs.Skip(1))}; "
                + $"load {FixedPointTiming.Load()}");
        }
        model.LongWavelengthPreconditioner = true;
        if (args.Contains("--products"))
        {
            Console.Write("  ");
            FixedPointTiming.ProductCosts(model, inputs, scf);
        }
        double backbone = StopwatchRuns.Time(() => FixedPointTiming.BackboneEnergyAndForces(model, inputs), repeats).Min();
        manual_seed(0);
        var plainModel = new MaceModel(mace);
        var plainInputs = new SystemInputs(inputs.Graph, inputs.Pbc);
        double plain = StopwatchRuns.Time(() =>
        {
            using var scope = NewDisposeScope();
            _ = plainModel.Predict(plainInputs, new PredictionRequest()).Forces!.sum().item<double>();
        }, repeats).Min();
        Console.WriteLine($"  the model's backbone alone, energy+forces: best {backbone:F0} ms; plain MACE energy+forces: best {plain:F0} ms; "
            + $"load {FixedPointTiming.Load()}");
    }

    /// Wall and process CPU time (both threads) of one phase, in seconds.
    readonly record struct PhaseTime(double Wall, double Cpu)
    {
        public static PhaseTime operator -(PhaseTime a, PhaseTime b) => new(a.Wall - b.Wall, a.Cpu - b.Cpu);

        public static PhaseTime operator *(double f, PhaseTime a) => new(f * a.Wall, f * a.Cpu);

        public static PhaseTime Min(PhaseTime a, PhaseTime b) => new(Math.Min(a.Wall, b.Wall), Math.Min(a.Cpu, b.Cpu));

        public override string ToString() => $"CPU {1e3 * Cpu:F1} ms (wall {1e3 * Wall:F1})";
    }

    sealed class PhaseClock
    {
        readonly Process _process = Process.GetCurrentProcess();
        readonly Stopwatch _watch = Stopwatch.StartNew();
        TimeSpan _cpu;

        public PhaseClock() => Lap();

        /// The time since the previous lap.
        public PhaseTime Lap()
        {
            _process.Refresh();
            var cpu = _process.TotalProcessorTime;
            var lap = new PhaseTime(_watch.Elapsed.TotalSeconds, (cpu - _cpu).TotalSeconds);
            _cpu = cpu;
            _watch.Restart();
            return lap;
        }

        /// The least time of one call of <paramref name="action"/> over <paramref name="count"/> calls after a warm-up call.
        public PhaseTime Each(Action action, int count = 3)
        {
            action();
            var best = new PhaseTime(double.MaxValue, double.MaxValue);
            Lap();
            for (int i = 0; i < count; i++)
            {
                using (NewDisposeScope()) action();
                best = PhaseTime.Min(best, Lap());
            }
            return best;
        }
    }

    /// One converged evaluation with implicit forces split into phases (the steps of FixedPointModel.Evaluate, as
    /// <see cref="FixedPointTiming.Implicit(FixedPointModel, SystemInputs, ScfOptions, int, bool, bool)"/> takes them), least of R runs each,
    /// wall and CPU time: the per-geometry state (backbone forward, local density, electrostatics plan), the SCF, the forward solve
    /// (Jacobian–vector products) and energy + backward (the adjoint solve's vector–Jacobian products, the backbone's and the plan's
    /// backward). Then the unit costs that split them, measured on the same geometry: the backbone forward and forward + backward alone,
    /// a second plan on detached positions, the update's per-atom affine form and the Anderson mixer's preconditioner (once per geometry),
    /// one SCF map step and its field features (the electrostatics), one graph-free Jacobian–vector and vector–Jacobian product of the
    /// implicit solves and their field features.
    static void Phases(FixedPointModel model, SystemInputs inputs, ScfOptions options, int repeats)
    {
        int unitRepeats = Math.Max(3, repeats);
        var clock = new PhaseClock();
        var none = new PhaseTime(double.MaxValue, double.MaxValue);
        PhaseTime prepare = none, scfTime = none, solve = none, backward = none;
        int updates = 0, forwardProducts = 0, adjointProducts = 0;
        for (int run = 0; run <= repeats; run++)
        {
            using var scope = NewDisposeScope();
            clock.Lap();
            var positions = inputs.Graph.Positions.detach().requires_grad_(true);
            using var geometry = model.Prepare(inputs.WithGeometry(positions, inputs.Graph.Cell));
            var (p0, mu0, charge) = model.InitialState(geometry, inputs, options);
            var regions = FixedPointModel.FermiRegionsOf(geometry, inputs, options, mu0, charge);
            var t1 = clock.Lap();
            var result = ScfRunner.Run(geometry, options, p0, mu0, charge, regions: regions);
            var t2 = clock.Lap();
            var krylov = new KrylovReport();
            var (density, fermi) = LinearizedSolution.Solve(geometry, result.Density, result.RegionFermiLevels?.flatten() ?? result.FermiLevel, regions,
                    false, krylov: krylov) ?? throw new InvalidOperationException("the implicit solve is poor");
            var t3 = clock.Lap();
            var atomFermi = regions?.OfAtoms(fermi) ?? fermi.index_select(0, geometry.Batch);
            var energy = model.Energy(geometry, density, geometry.Features(density, atomFermi), regions).Total;
            _ = (-autograd.grad([energy], [positions], [ones_like(energy)])[0]).sum().item<double>();
            var t4 = clock.Lap();
            if (run == 0 && repeats > 0) continue;
            (prepare, scfTime, solve, backward) = (PhaseTime.Min(prepare, t1), PhaseTime.Min(scfTime, t2), PhaseTime.Min(solve, t3), PhaseTime.Min(backward, t4));
            (updates, forwardProducts, adjointProducts) = (result.Steps.Max(), krylov.ForwardProducts, krylov.AdjointProducts);
        }
        long atoms = inputs.NumAtoms;
        var total = new PhaseTime(prepare.Wall + scfTime.Wall + solve.Wall + backward.Wall, prepare.Cpu + scfTime.Cpu + solve.Cpu + backward.Cpu);
        Console.WriteLine($"  {options.Mixer}, {atoms} atoms: total {total}, {1e3 * total.Cpu / atoms:F2} ms CPU per atom; prepare {prepare}; "
            + $"SCF {scfTime} ({updates} updates); forward solve {solve} ({forwardProducts} products); energy + backward {backward} "
            + $"({adjointProducts} products); load {FixedPointTiming.Load()}");

        // Unit costs on one geometry.
        using var units = NewDisposeScope();
        var graph = inputs.Graph;
        var backboneForward = clock.Each(() =>
        {
            var x = graph.Positions.detach().requires_grad_(true);
            _ = model.Backbone.forward(graph with { Positions = x }).Energy.sum().item<double>();
        }, unitRepeats);
        var backboneBoth = clock.Each(() => FixedPointTiming.BackboneEnergyAndForces(model, inputs), unitRepeats);
        var leaf = graph.Positions.detach().requires_grad_(true);
        using var g = model.Prepare(inputs.WithGeometry(leaf, graph.Cell));
        var plan = clock.Each(() => g.DetachedPlan!().Dispose(), unitRepeats);
        var (q0, nu0, target) = model.InitialState(g, inputs, options);
        var muAtoms = nu0.index_select(0, g.Batch);
        PhaseTime formAndStep;
        using (no_grad())
        {
            clock.Lap();
            g.Step(q0, muAtoms);
            formAndStep = clock.Lap();
        }
        var step = clock.Each(() =>
        {
            using var noGrad = no_grad();
            g.Step(q0, muAtoms);
        }, unitRepeats);
        var field = clock.Each(() =>
        {
            using var noGrad = no_grad();
            g.Plan.FieldFeatures(q0);
        }, unitRepeats);
        var whole = FermiRegions.Whole(g.Batch, target);
        var precondition = clock.Each(() => g.MixingPreconditioner(q0, nu0, whole), 1);
        long n = q0.shape[0], k = q0.shape[1];
        var reference = cat([q0.flatten(), nu0]);
        var twin = g.ForProducts() ?? g;
        var op = OneBodyOperator.At(g, reference, n, k, nu0, whole, null);
        var u = randn_like(reference);
        var jvp = clock.Each(() =>
        {
            using var noGrad = no_grad();
            op.Apply(u);
        }, unitRepeats);
        var vjp = clock.Each(() =>
        {
            using var noGrad = no_grad();
            op.ApplyTransposed(u);
        }, unitRepeats);
        var twinField = clock.Each(() =>
        {
            using var noGrad = no_grad();
            twin.Plan.FieldFeatures(q0);
        }, unitRepeats);
        var fieldAdjoint = clock.Each(() =>
        {
            var p = q0.detach().requires_grad_(true);
            var f = twin.Plan.FieldFeatures(p);
            autograd.grad([f], [p], [ones_like(f)]);
        }, unitRepeats);
        Console.WriteLine($"  unit costs: backbone forward {backboneForward}, forward + backward {backboneBoth}; plan (detached) {plan}; "
            + $"first map step (with the affine form) {formAndStep}; map step {step}, of which field features {field}; mixing preconditioner "
            + $"{precondition}; graph-free JVP {jvp}, VJP {vjp}; field features on the products' plan {twinField}, with their adjoint {fieldAdjoint}; "
            + $"load {FixedPointTiming.Load()}");
    }

    /// One prediction with energy and implicit forces: best wall and CPU time of R runs after a warm-up (R = 0: the single first run).
    static void Scaling(FixedPointModel model, SystemInputs inputs, ScfOptions options, int repeats)
    {
        using var process = Process.GetCurrentProcess();
        double wall = double.MaxValue, cpu = double.MaxValue;
        string outcome = "";
        for (int run = 0; run <= repeats; run++)
        {
            using var scope = NewDisposeScope();
            process.Refresh();
            var cpuStart = process.TotalProcessorTime;
            var watch = Stopwatch.StartNew();
            var prediction = model.Predict(inputs, new PredictionRequest { Scf = options });
            _ = prediction.Forces!.sum().item<double>();
            double seconds = watch.Elapsed.TotalSeconds;
            process.Refresh();
            if (run > 0 || repeats == 0)
            {
                wall = Math.Min(wall, seconds);
                cpu = Math.Min(cpu, (process.TotalProcessorTime - cpuStart).TotalSeconds);
            }
            var krylov = prediction.Derivation?.Krylov;
            outcome = $"{prediction.Scf!.Steps.Max()} updates ({ScfResult.Name(prediction.Scf.Status[0])}), forces {prediction.Derivation?.Method}"
                + (krylov is null ? "" : $" ({krylov.ForwardProducts} + {krylov.AdjointProducts} products, {krylov.PreconditionerModes} modes)");
            if (repeats == 0) break;
        }
        long atoms = inputs.NumAtoms;
        Console.WriteLine($"  {options.Mixer}: {outcome} | wall {wall:F2} s, {wall / atoms * 1e3:F2} ms/atom | CPU {cpu:F2} s, "
            + $"{cpu / atoms * 1e3:F2} ms/atom | peak RSS {ElectrostaticsTiming.PeakResidentGigabytes():F2} GB | load {FixedPointTiming.Load()}");
    }

    /// The energy (first line) and the forces (one atom per line), round-trip formatted.
    static void Save(string path, Prediction prediction)
    {
        var forces = prediction.Forces!.contiguous().data<double>().ToArray();
        var lines = new List<string> { prediction.Energy.item<double>().ToString("R", CultureInfo.InvariantCulture) };
        for (int i = 0; i < forces.Length; i += 3)
            lines.Add(string.Join(" ", forces.Skip(i).Take(3).Select(f => f.ToString("R", CultureInfo.InvariantCulture))));
        File.WriteAllLines(path, lines);
    }

    /// The frame repeated along its lattice vectors.
    static Configuration Replicate(Configuration frame, int[] copies)
    {
        var cell = frame.Cell ?? throw new ArgumentException("--replicate needs a periodic frame with a Lattice");
        int n = frame.AtomCount, total = n * copies[0] * copies[1] * copies[2];
        var positions = new double[total, 3];
        var numbers = new int[total];
        int atom = 0;
        for (int a = 0; a < copies[0]; a++)
        for (int b = 0; b < copies[1]; b++)
        for (int c = 0; c < copies[2]; c++)
            for (int i = 0; i < n; i++, atom++)
            {
                numbers[atom] = frame.AtomicNumbers[i];
                for (int d = 0; d < 3; d++) positions[atom, d] = frame.Positions[i, d] + a * cell[0, d] + b * cell[1, d] + c * cell[2, d];
            }
        var lattice = new double[3, 3];
        for (int v = 0; v < 3; v++)
            for (int d = 0; d < 3; d++) lattice[v, d] = cell[v, d] * copies[v];
        return new Configuration(numbers, positions, lattice, frame.Pbc);
    }

    static double? Option(string[] args, string name)
    {
        int i = Array.IndexOf(args, name);
        return i >= 0 ? double.Parse(args[i + 1], CultureInfo.InvariantCulture) : null;
    }
}
