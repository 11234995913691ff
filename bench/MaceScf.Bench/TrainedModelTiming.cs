using System.Globalization;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// `fixedpoint-model-timing MODEL XYZ [--frame I] [--replicate A,B,C] [--repeats R] [--mixing A]`: a trained fixed-point model on
/// one frame of an extxyz file (default the first), replicated A×B×C times (default 1,1,1), neutral, the SCF started at the frame's
/// `fermi_level`; 2 libtorch threads, float64. Per mixer (linear, Anderson of the default depth; constant charge, mixing A, default
/// 0.25, tolerance 1e−6): the energy and SCF updates of one prediction, then implicit energy + forces split into stages (best of
/// REPEATS after a warm-up, <see cref="FixedPointTiming.Implicit(FixedPointModel, SystemInputs, ScfOptions, int, bool, bool)"/>);
/// then the model's backbone alone (energy + forces of its own energy) and a plain MACE of the same backbone hyperparameters
/// (scalar-only last layer, random weights) energy + forces, best of REPEATS each, and the ratios.
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
        var configuration = Replicate(frame, copies);
        var mace = model.Hyperparameters.Mace;
        var batch = GraphBatch.Build([configuration], mace.RMax, new SpeciesTable(mace.AtomicNumbers));
        double fermi = frame.Info.TryGetValue("fermi_level", out var value) ? Convert.ToDouble(value, CultureInfo.InvariantCulture)
            : model.Hyperparameters.FermiLevelOffset;
        var inputs = SystemInputs.FromBatch(batch) with { TotalCharge = zeros(1, dtype: float64), FermiLevel = tensor(new[] { fermi }, dtype: float64) };
        Console.WriteLine($"{args[0]} on {args[1]} frame × {string.Join("×", copies)}: {configuration.AtomCount} atoms, {batch.EdgeCount} edges, "
            + $"mixing {mixing}, load {FixedPointTiming.Load()}");
        foreach (var mixer in new[] { ScfMixer.Linear, ScfMixer.Anderson })
        {
            var options = new ScfOptions { MixingParameter = mixing, Mixer = mixer };
            using (var scope = NewDisposeScope())
            {
                var prediction = model.Predict(inputs, new PredictionRequest { Scf = options });
                Console.WriteLine($"  {mixer}: {prediction.Scf!.Steps.Max()} updates ({ScfResult.Name(prediction.Scf.Status[0])}), "
                    + $"E = {prediction.Energy.item<double>():R} eV, forces {prediction.Derivation!.Method}");
            }
            var runs = new List<FixedPointTiming.Breakdown>();
            var times = FixedPointTiming.Times(repeats + 1, () => runs.Add(FixedPointTiming.Implicit(model, inputs, options, 0))).Skip(1).ToArray();
            Console.WriteLine($"  {mixer}: energy+forces implicit best {times.Min():F0} ms; {FixedPointTiming.Breakdown.Fastest(runs.Skip(1))}; "
                + $"load {FixedPointTiming.Load()}");
        }
        double backbone = FixedPointTiming.Times(repeats + 1, () => FixedPointTiming.BackboneEnergyAndForces(model, inputs)).Skip(1).Min();
        manual_seed(0);
        var plainModel = new MaceModel(mace);
        var plainInputs = new SystemInputs(inputs.Graph, inputs.Pbc);
        double plain = FixedPointTiming.Times(repeats + 1, () =>
        {
            using var scope = NewDisposeScope();
            _ = plainModel.Predict(plainInputs, new PredictionRequest()).Forces!.sum().item<double>();
        }).Skip(1).Min();
        Console.WriteLine($"  the model's backbone alone, energy+forces: best {backbone:F0} ms; plain MACE energy+forces: best {plain:F0} ms; "
            + $"load {FixedPointTiming.Load()}");
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
