using MaceScf.Data;
using MaceScf.Models;
using static MaceScf.Calculators.TensorArrays;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// One frame's MACE prediction.
/// <param name="Frame">the input configuration</param>
/// <param name="Energy">total energy (eV)</param>
/// <param name="NodeEnergies">per-atom energies E0 + scale·Σ readouts + shift (eV)</param>
/// <param name="Forces">[N, 3] eV/Å, or null</param>
/// <param name="Stress">[3, 3] eV/Å³ (MACE's and ASE's sign), or null</param>
public sealed record MaceFramePrediction(Configuration Frame, double Energy, double[] NodeEnergies, double[,]? Forces, double[,]? Stress);

/// Runs a plain MACE model over configurations in batches (the library side of `macescf eval` for MACE models). Stress is
/// computed for batches whose frames are all fully periodic when asked.
public sealed class MaceFrameEvaluator(MaceModel model, int batchSize = 4, bool computeForces = true, bool computeStress = false)
{
    public IEnumerable<MaceFramePrediction> Evaluate(IReadOnlyList<Configuration> frames)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "the batch size must be ≥ 1");
        var species = new SpeciesTable(model.Hyperparameters.AtomicNumbers);
        foreach (var frame in frames)
        {
            var missing = frame.AtomicNumbers.Distinct().Where(z => !model.Hyperparameters.AtomicNumbers.Contains(z)).ToArray();
            if (missing.Length > 0)
                throw new ArgumentException($"{frame.DescribeOrigin()}: element(s) {string.Join(", ", missing.Select(PeriodicTable.Symbol))} not in the "
                    + $"model's species ({string.Join(", ", model.Hyperparameters.AtomicNumbers.Select(PeriodicTable.Symbol))}).");
        }
        for (int start = 0; start < frames.Count; start += batchSize)
            foreach (var p in EvaluateBatch(frames.Skip(start).Take(batchSize).ToArray(), species)) yield return p;
    }

    private List<MaceFramePrediction> EvaluateBatch(Configuration[] frames, SpeciesTable species)
    {
        using var scope = NewDisposeScope();
        using var batch = GraphBatch.Build(frames, model.Hyperparameters.RMax, species, model.Dtype);
        bool stress = computeStress && frames.All(f => f.Pbc.All(p => p) && f.Cell is not null);
        var prediction = model.Predict(SystemInputs.FromBatch(batch), new PredictionRequest { Forces = computeForces, Stress = stress });
        var energy = Doubles(prediction.Energy);
        var nodes = Doubles(prediction.NodeEnergies!);
        var forces = prediction.Forces is null ? null : Doubles(prediction.Forces);
        var stresses = prediction.Stress is null ? null : Doubles(prediction.Stress);
        var result = new List<MaceFramePrediction>(frames.Length);
        int first = 0;
        for (int g = 0; g < frames.Length; g++)
        {
            int n = frames[g].AtomCount;
            result.Add(new MaceFramePrediction(frames[g], energy[g], nodes[first..(first + n)], forces is null ? null : Rows(forces, first, n, 3),
                stresses is null ? null : Rows(stresses, 3 * g, 3, 3)));
            first += n;
        }
        return result;
    }
}
