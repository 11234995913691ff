using System.Diagnostics;
using System.Globalization;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// `fixedpoint-model-timing MODEL XYZ [--frame I] [--replicate A,B,C] [--repeats R] [--mixing A] [--mixers linear,anderson] [--edge-chunk E]
/// [--products] [--save FILE] [--scaling] [--preconditioners on,off,...] [--anderson-depth M]`: a trained fixed-point model on one frame of an extxyz file (default the first), replicated
/// A×B×C times (default 1,1,1), neutral, the SCF started at the frame's `fermi_level`; 2 libtorch threads, float64; --edge-chunk: the
/// backbone's edge chunks and node-blocked contractions (<see cref="MaceScf.Mace.MaceModel.EdgeChunkSize"/>).
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
        var net = model.Backbone;
        var automatic = BackboneMemory.AutomaticChunks(net, configuration.AtomCount, batch.EdgeCount);
        string chunks = net.EdgeChunkSize?.ToString() ?? (automatic == default ? "none"
            : $"{automatic.Edges?.ToString() ?? "none"}, node blocks {automatic.Nodes} (automatic)");
        Console.WriteLine($"{args[0]} on {args[1]} frame × {string.Join("×", copies)}: {configuration.AtomCount} atoms, {batch.EdgeCount} edges, "
            + $"{setup}, mixing {mixing}, backbone graph estimate {BackboneMemory.GraphBytes(net, configuration.AtomCount, batch.EdgeCount) / 1e9:F2} GB, "
            + $"edge chunk {chunks}, load {FixedPointTiming.Load()}");
        // The default divergence bound on |Q − Q_target| (10 e) is passed by the first constant-charge update of a large box whose local
        // charges are not exactly neutral (α·Σq_local grows with N) although the SCF converges: scaled with the size, as fixedpoint-scaling does.
        var scf = new ScfOptions { MixingParameter = mixing, DivergenceCharge = Math.Max(new ScfOptions().DivergenceCharge, 0.02 * configuration.AtomCount),
            AndersonDepth = (int)(Option(args, "--anderson-depth") ?? ScfOptions.DefaultAndersonDepth) };
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
