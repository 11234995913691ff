using MaceScf.Data;
using static MaceScf.Calculators.TensorArrays;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The prediction for one configuration, as plain arrays.
/// <param name="Forces">[N, 3] eV/Å, or null when not computed</param>
/// <param name="Stress">[3, 3] eV/Å³, or null</param>
/// <param name="Density">[N, K] density coefficients [q, p_y, p_z, p_x, …]</param>
/// <param name="Dipole">Cartesian total dipole (e·Å)</param>
/// <param name="Terms">energy terms by name (e0, local, local_electron, coulomb, external_field)</param>
/// <param name="History">mean |Δp| of every SCF update</param>
/// <param name="Derivation">how the forces and stress of this frame's batch were taken, or null when neither was computed</param>
public sealed record FramePrediction(LabelledConfiguration Frame, double Energy, double[,]? Forces, double[,]? Stress, double[,] Density,
    double[] Dipole, double TotalCharge, double FermiLevel, IReadOnlyDictionary<string, double> Terms, ScfStatus Status, int Steps,
    double[] History, ForcesDerivation? Derivation = null);

/// Runs a model with its SCF over labelled configurations in batches (the library side of `macescf eval`).
public sealed class FrameEvaluator(FixedPointModel model, ScfOptions options, int batchSize = 4, bool computeForces = true,
    bool computeStress = false)
{
    public IEnumerable<FramePrediction> Evaluate(IReadOnlyList<LabelledConfiguration> frames)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "the batch size must be ≥ 1");
        var species = new SpeciesTable(model.Hyperparameters.Mace.AtomicNumbers);
        for (int start = 0; start < frames.Count; start += batchSize)
        {
            var chunk = frames.Skip(start).Take(batchSize).ToArray();
            foreach (var p in EvaluateBatch(chunk, species)) yield return p;
        }
    }

    private List<FramePrediction> EvaluateBatch(LabelledConfiguration[] frames, SpeciesTable species)
    {
        using var scope = NewDisposeScope();
        using var batch = GraphBatch.Build(frames.Select(f => f.Configuration).ToArray(), model.Hyperparameters.Mace.RMax, species, model.Dtype);
        var inputs = Inputs(frames, batch);
        FixedPointPrediction prediction;
        try
        {
            prediction = model.Evaluate(inputs, options, computeForces, computeStress);
        }
        catch (Electrostatics.StructureGeometryException e) when (e.Structure is { } g)
        {
            throw new ArgumentException($"{frames[g].Configuration.DescribeOrigin()}: {e.Problem}", e);
        }
        catch (Exception e) when (NativeFailure.Is(e))
        {
            var origins = frames.Select(f => f.Configuration.DescribeOrigin()).ToArray();
            throw NativeFailure.InFrames(e, origins.Length == 1 ? origins[0] : $"{origins[0]} … {origins[^1]} (one batch)",
                "use a smaller --batch-size, evaluate without forces (--no-forces), or split the structure");
        }
        var energy = Doubles(prediction.Energy);
        var forces = prediction.Forces is null ? null : Doubles(prediction.Forces);
        var stress = prediction.Stress is null ? null : Doubles(prediction.Stress);
        var density = Doubles(prediction.Scf.Density);
        var dipole = Doubles(prediction.Dipole);
        var charge = Doubles(prediction.TotalCharge);
        var fermi = Doubles(prediction.Scf.FermiLevel);
        var history = Doubles(prediction.Scf.History);
        var terms = prediction.Terms.Named().Select(t => (t.Name, Values: Doubles(t.Value))).ToArray();
        int k = (int)prediction.Scf.Density.shape[1], steps = (int)prediction.Scf.History.shape[1];
        var result = new List<FramePrediction>(frames.Length);
        int first = 0;
        for (int g = 0; g < frames.Length; g++)
        {
            int n = frames[g].Configuration.AtomCount;
            result.Add(new FramePrediction(frames[g], energy[g], forces is null ? null : Rows(forces, first, n, 3),
                stress is null ? null : Rows(stress, 3 * g, 3, 3), Rows(density, first, n, k), dipole[(3 * g)..(3 * g + 3)], charge[g], fermi[g],
                terms.ToDictionary(t => t.Name, t => t.Values[g]), prediction.Scf.Status[g], prediction.Scf.Steps[g],
                history[(g * steps)..(g * steps + (prediction.Scf.Status[g] == ScfStatus.Diverged ? prediction.Scf.Steps[g] : steps))],
                prediction.Derivation));
            first += n;
        }
        return result;
    }

    private FixedPointInputs Inputs(LabelledConfiguration[] frames, GraphBatch batch)
    {
        var dtype = model.Dtype;
        var field = frames.SelectMany(f => f.ExternalField.IsPresent ? f.ExternalField.Value : [0.0, 0.0, 0.0]).ToArray();
        var charge = frames.Select(f => f.TotalCharge.IsPresent ? f.TotalCharge.Value : 0.0).ToArray();
        var fermi = frames.Select(f => f.FermiLevel.IsPresent ? f.FermiLevel.Value : model.Hyperparameters.FermiLevelOffset).ToArray();
        Tensor? density = null;
        if (options.InitialDensity == InitialDensity.FromData)
        {
            var missing = frames.FirstOrDefault(f => !f.AtomicMultipoles.IsPresent);
            if (missing is not null)
                throw new ArgumentException($"{missing.Configuration.DescribeOrigin()}: initial_density from_data needs atomic multipoles in every frame.");
            density = cat(frames.Select(f => tensor(f.AtomicMultipoles.Value, dtype: ScalarType.Float64)).ToArray(), 0).to_type(dtype);
        }
        return FixedPointInputs.FromBatch(batch) with
        {
            ExternalField = tensor(field, dtype: dtype).view(frames.Length, 3),
            TotalCharge = tensor(charge, dtype: dtype),
            FermiLevel = tensor(fermi, dtype: dtype),
            Density = density,
        };
    }
}
