using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Calculators;

/// <summary>
/// A calculator on top of a model's one door (<see cref="IAtomisticModel.Predict"/>). Besides single structures it evaluates
/// many in batches (<see cref="CalculateAll"/>, what `macescf eval` does), where a diverged SCF is reported in the results'
/// status rather than thrown, so a file can be scanned to its end.
/// </summary>
public abstract class ModelCalculator : Calculator
{
    private readonly double defaultFermiLevel;

    private protected ModelCalculator(IAtomisticModel model, double defaultFermiLevel)
    {
        Model = model;
        this.defaultFermiLevel = defaultFermiLevel;
    }

    internal IAtomisticModel Model { get; }

    /// <summary>The results of every structure, <paramref name="batchSize"/> structures per model call.</summary>
    public IEnumerable<CalculatorResults> CalculateAll(IReadOnlyList<Structure> structures, CalculatorProperties properties, int batchSize = 4)
    {
        if (batchSize < 1) throw new ArgumentOutOfRangeException(nameof(batchSize), "the batch size must be ≥ 1");
        for (int start = 0; start < structures.Count; start += batchSize)
            foreach (var r in Batch(structures.Skip(start).Take(batchSize).ToArray(), properties, start: null)) yield return r;
    }

    /// The request for these properties (the SCF settings of a self-consistent model).
    private protected abstract PredictionRequest Request(CalculatorProperties properties, bool warmStart);

    /// <summary>Whether the SCF starts from the structures' multipoles (initial_density from_data).</summary>
    private protected virtual bool StartsFromData => false;

    /// One batch through the model; <paramref name="start"/> overrides the structures' multipoles as the SCF start.
    private protected IReadOnlyList<CalculatorResults> Batch(Structure[] structures, CalculatorProperties properties, ScfStart? start)
    {
        using var scope = NewDisposeScope();
        var dtype = Model.Dtype;
        var species = new SpeciesTable(Model.AtomicNumbers);
        foreach (var s in structures) species.RequireKnown(s.Atoms);
        // Stress needs a cell (a volume): asked of a batch with a frame without a Lattice, none is computed.
        if (structures.Any(s => s.Atoms.Cell is null)) properties &= ~CalculatorProperties.Stress;
        using var batch = GraphBatch.Build(structures.Select(s => s.Atoms).ToArray(), Model.Cutoff, species, dtype);
        var inputs = SystemInputs.FromBatch(batch) with
        {
            ExternalField = tensor(structures.SelectMany(s => s.ExternalField ?? [0.0, 0.0, 0.0]).ToArray(), dtype: dtype).view(structures.Length, 3),
            TotalCharge = tensor(structures.Select(s => s.TotalCharge ?? 0.0).ToArray(), dtype: dtype),
            FermiLevel = tensor(structures.Select(s => s.FermiLevel ?? defaultFermiLevel).ToArray(), dtype: dtype),
            Start = start ?? (StartsFromData ? new ScfStart(Multipoles(structures, dtype)) : null),
            FormalCharges = NeedsFormalCharges ? FormalCharges(structures, dtype) : null,
            Electrodes = Electrodes(structures, dtype),
        };
        var request = Request(properties, warmStart: start is not null);
        Prediction prediction;
        try
        {
            prediction = Model.Predict(inputs, request);
        }
        catch (StructureGeometryException e) when (e.Structure is { } g)
        {
            throw new ArgumentException($"{structures[g].Atoms.DescribeOrigin()}: {e.Problem}", e);
        }
        catch (Exception e) when (NativeFailure.Is(e))
        {
            string first = structures[0].Atoms.DescribeOrigin(), last = structures[^1].Atoms.DescribeOrigin();
            // Without forces the SCF's own backward pass (its charge response) remains: --no-forces would not help there.
            throw NativeFailure.InFrames(e, structures.Length == 1 ? first : $"{first} … {last} (one batch)",
                e is BackwardPassException { Purpose: ScfRunner.ChargeResponse }
                    ? "use a smaller --batch-size or split the structure"
                    : "use a smaller --batch-size, evaluate without forces (--no-forces), or split the structure");
        }
        return Split(prediction, structures);
    }

    /// <summary>Whether the model reads per-atom formal charges (<see cref="Structure.FormalCharges"/>) as an input.</summary>
    internal virtual bool NeedsFormalCharges => false;

    private static Tensor FormalCharges(Structure[] structures, ScalarType dtype)
    {
        foreach (var s in structures)
            if (s.FormalCharges?.Length != s.Atoms.AtomCount)
                throw new ArgumentException($"{s.Atoms.DescribeOrigin()}: the model takes per-atom formal charges (formal_charges_from_data), and "
                    + (s.FormalCharges is null ? "this structure has none: give them in the arrays key mapped to charges (default 'charges')"
                        : $"this structure has {s.FormalCharges.Length} for {s.Atoms.AtomCount} atoms"));
        return tensor(structures.SelectMany(s => s.FormalCharges!).ToArray(), dtype: dtype);
    }

    /// The electrode regions of a batch (docs/response.md), or null when no structure has electrodes; every structure of a batch
    /// with electrodes must have the same number of them.
    private ElectrodeInputs? Electrodes(Structure[] structures, ScalarType dtype)
    {
        if (structures.All(s => s.Electrodes is null)) return null;
        if (Model is not FixedPointModel)
            throw new ArgumentException($"{structures[0].Atoms.DescribeOrigin()}: electrode regions need a fixed-point model (an SCF with a Fermi level)");
        var first = structures.First(s => s.Electrodes is not null);
        foreach (var s in structures)
        {
            var e = s.Electrodes ?? throw new ArgumentException(
                $"{s.Atoms.DescribeOrigin()}: has no electrode regions while {first.Atoms.DescribeOrigin()} has; give every structure of a batch its regions");
            if (e.Problem(s.Atoms.AtomCount) is { } problem) throw new ArgumentException($"{s.Atoms.DescribeOrigin()}: {problem}");
            if (e.FermiLevels.Length != first.Electrodes!.FermiLevels.Length)
                throw new ArgumentException($"{s.Atoms.DescribeOrigin()}: {e.FermiLevels.Length} electrodes, but {first.Atoms.DescribeOrigin()} has "
                    + $"{first.Electrodes.FermiLevels.Length}; a batch needs the same number");
        }
        return new ElectrodeInputs(tensor(structures.SelectMany(s => s.Electrodes!.Regions.Select(r => (long)r)).ToArray()),
            tensor(structures.SelectMany(s => s.Electrodes!.FermiLevels).ToArray(), dtype: dtype).view(structures.Length, -1),
            tensor(structures.Select(s => s.Electrodes!.ElectrolyteCharge).ToArray(), dtype: dtype));
    }

    private static Tensor Multipoles(Structure[] structures, ScalarType dtype)
    {
        var missing = structures.FirstOrDefault(s => s.Multipoles is null);
        if (missing is not null)
            throw new ArgumentException($"{missing.Atoms.DescribeOrigin()}: initial_density from_data needs atomic multipoles in every frame.");
        return cat(structures.Select(s => tensor(s.Multipoles!, dtype: ScalarType.Float64)).ToArray(), 0).to_type(dtype);
    }

    /// Per-structure plain arrays of a batch prediction.
    private static List<CalculatorResults> Split(Prediction prediction, Structure[] structures)
    {
        var energy = Doubles(prediction.Energy);
        var nodeEnergies = Optional(prediction.NodeEnergies);
        var electronegativity = Optional(prediction.Electronegativity);
        var hardness = Optional(prediction.Hardness);
        var forces = Optional(prediction.Forces);
        var stress = Optional(prediction.Stress);
        var virials = Optional(prediction.Virials);
        var density = Optional(prediction.Density);
        var dipole = Optional(prediction.Dipole);
        var charge = Optional(prediction.TotalCharge);
        var fermi = Optional(prediction.FermiLevel);
        var scf = prediction.Scf;
        var response = prediction.Response;
        var born = Optional(response?.BornCharges);
        var alpha = Optional(response?.Polarizability);
        var alphaMu = Optional(response?.PolarizabilityAtFermiLevel);
        var history = scf is null ? null : Doubles(scf.History);
        var regionCharges = Optional(prediction.Regions?.Charge);
        var regionFermi = Optional(prediction.Regions?.FermiLevel);
        int slots = prediction.Regions is null ? 0 : (int)prediction.Regions.Charge.shape[1];
        var terms = prediction.Terms.Select(t => (t.Name, Values: Doubles(t.Value))).ToArray();
        int k = prediction.Density is null ? 0 : (int)prediction.Density.shape[1], steps = scf is null ? 0 : (int)scf.History.shape[1];
        var result = new List<CalculatorResults>(structures.Length);
        int first = 0;
        for (int g = 0; g < structures.Length; g++)
        {
            int n = structures[g].Atoms.AtomCount;
            var status = scf?.Status[g];
            result.Add(new CalculatorResults(energy[g], terms.ToDictionary(t => t.Name, t => t.Values[g]))
            {
                NodeEnergies = nodeEnergies?[first..(first + n)],
                Electronegativity = electronegativity?[first..(first + n)],
                Hardness = hardness?[first..(first + n)],
                Forces = forces is null ? null : Rows(forces, first, n, 3),
                Stress = stress is null ? null : Rows(stress, 3 * g, 3, 3),
                Virial = virials is null ? null : Rows(virials, 3 * g, 3, 3),
                Density = density is null ? null : Rows(density, first, n, k),
                Dipole = dipole?[(3 * g)..(3 * g + 3)],
                TotalCharge = charge?[g],
                FermiLevel = fermi?[g],
                Status = status,
                Steps = scf?.Steps[g] ?? 0,
                History = history is null ? [] : history[(g * steps)..(g * steps + (status == ScfStatus.Diverged ? scf!.Steps[g] : steps))],
                Derivation = prediction.Derivation,
                ResponseFailure = response?.Failure[g],
                RegionCharges = regionCharges?[(slots * g)..(slots * g + slots)],
                RegionFermiLevels = regionFermi?[(slots * g)..(slots * g + slots)],
                BornCharges = born is null || response!.Failure[g] is not null ? null : Rows(born, first, n, 9),
                Polarizability = alpha is null || response!.Failure[g] is not null ? null : Rows(alpha, 3 * g, 3, 3),
                PolarizabilityAtFermiLevel = alphaMu is null || response!.Failure[g] is not null ? null : Rows(alphaMu, 3 * g, 3, 3),
            });
            first += n;
        }
        return result;
    }

    private static double[]? Optional(Tensor? t) => t is null ? null : Doubles(t);

    private static double[] Doubles(Tensor t) => t.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();

    private static double[,] Rows(double[] flat, int firstRow, int rows, int columns)
    {
        var a = new double[rows, columns];
        Buffer.BlockCopy(flat, firstRow * columns * sizeof(double), a, 0, rows * columns * sizeof(double));
        return a;
    }
}
