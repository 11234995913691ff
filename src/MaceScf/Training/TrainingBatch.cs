using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Models;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// A collated batch with the model inputs and every reference target as tensors; absent labels are zeros with weight 0,
/// so they contribute nothing to the losses (docs/math.md, "Training losses"). Dispose it after the step.
internal sealed class TrainingBatch : IDisposable
{
    private readonly GraphBatch _graph;

    private TrainingBatch(GraphBatch graph, IReadOnlyList<LabelledConfiguration> frames) { _graph = graph; Frames = frames; }

    public IReadOnlyList<LabelledConfiguration> Frames { get; }

    /// The system inputs, with the reference multipoles as the start of a direct step or of initial_density from_data.
    public required SystemInputs Inputs { get; init; }

    /// [G] w_g = config weight × config_type weight.
    public required Tensor ConfigWeight { get; init; }
    /// [G] atoms per structure.
    public required Tensor AtomCount { get; init; }
    public required Tensor Energy { get; init; }
    public required Tensor EnergyWeight { get; init; }
    /// [N, 3] and the per-atom weight w^F of its structure.
    public required Tensor Forces { get; init; }
    public required Tensor ForcesWeight { get; init; }
    /// [N, K] reference multipoles (the model's K columns) and the per-atom weight w^ρ.
    public required Tensor Multipoles { get; init; }
    public required Tensor MultipolesWeight { get; init; }
    public required Tensor TotalCharge { get; init; }
    public required Tensor TotalChargeWeight { get; init; }
    /// [G, 3] and the per-component weights (label weight × config_dipole_weight).
    public required Tensor Dipole { get; init; }
    public required Tensor DipoleWeight { get; init; }
    public required Tensor FermiLevel { get; init; }
    public required Tensor FermiLevelWeight { get; init; }
    /// [N] per-atom weight of the esps / field_features losses (structures with reference multipoles).
    public required Tensor PotentialWeight { get; init; }
    /// [G, 3, 3] reference stress (eV/Å³) and its weight w^S (0 where absent).
    public required Tensor Stress { get; init; }
    public required Tensor StressWeight { get; init; }
    /// [G, 3, 3] reference virials (eV) and their weight w^V (0 where absent).
    public required Tensor Virials { get; init; }
    public required Tensor VirialsWeight { get; init; }
    /// [G, 3, 3] reference polarizability (e·Å²/V) and its weight w^α (0 where absent).
    public required Tensor Polarizability { get; init; }
    public required Tensor PolarizabilityWeight { get; init; }
    /// [N, 3, 3] reference Born charges (e) and the per-atom weight w w^Z (0 where absent).
    public required Tensor BornCharges { get; init; }
    public required Tensor BornChargesWeight { get; init; }
    /// [G] |det cell| (Å³), 1 for a structure without a cell (whose stress weight is 0), so a stress −W/V is finite everywhere.
    public required Tensor Volume { get; init; }

    public Tensor Batch => _graph.Batch;

    public int GraphCount => _graph.GraphCount;

    public static TrainingBatch Build(IReadOnlyList<LabelledConfiguration> frames, FixedPointModel model, SpeciesTable species) =>
        Build(frames, BatchLayout.Of(model), species);

    public static TrainingBatch Build(IReadOnlyList<LabelledConfiguration> frames, BatchLayout layout, SpeciesTable species)
    {
        var dtype = layout.Dtype;
        int k = layout.MultipoleCount;
        var graph = GraphBatch.Build(frames.Select(f => f.Configuration).ToArray(), layout.Cutoff, species, dtype);
        Tensor Graph(Func<LabelledConfiguration, double> value) => tensor(frames.Select(value).ToArray(), dtype: dtype);
        Tensor PerAtom(Func<LabelledConfiguration, double> value) =>
            tensor(frames.SelectMany(f => Enumerable.Repeat(value(f), f.Configuration.AtomCount)).ToArray(), dtype: dtype);
        Tensor Rows(Func<LabelledConfiguration, Label<double[,]>> label, int columns) => cat(frames.Select(f =>
        {
            var l = label(f);
            int n = f.Configuration.AtomCount;
            if (!l.IsPresent) return zeros(n, columns, dtype: dtype);
            var v = l.Value;
            var rows = new double[n * columns];
            for (int i = 0; i < n; i++)
                for (int c = 0; c < Math.Min(columns, v.GetLength(1)); c++) rows[i * columns + c] = v[i, c];
            return tensor(rows, dtype: dtype).view(n, columns);
        }).ToArray(), 0);
        var multipoles = Rows(f => f.AtomicMultipoles, k);
        var hasMultipoles = PerAtom(f => f.AtomicMultipoles.IsPresent ? 1 : 0);
        var fermi = Graph(f => f.FermiLevel.IsPresent ? f.FermiLevel.Value : layout.FermiLevelOffset);
        var charge = Graph(f => f.TotalCharge.IsPresent ? f.TotalCharge.Value : 0);
        var inputs = SystemInputs.FromBatch(graph) with
        {
            ExternalField = tensor(frames.SelectMany(f => f.ExternalField.IsPresent ? f.ExternalField.Value : [0.0, 0, 0]).ToArray(), dtype: dtype)
                .view(frames.Count, 3),
            TotalCharge = charge,
            FermiLevel = fermi,
            // Structures without reference multipoles start from zeros; their losses have weight 0.
            Start = new ScfStart(multipoles),
            // An input of the models that read them (checked present in every frame before training: FormalChargeData).
            FormalCharges = frames.All(f => f.FormalCharges.IsPresent)
                ? tensor(frames.SelectMany(f => f.FormalCharges.Value).ToArray(), dtype: dtype) : null,
        };
        Tensor Tensors3x3(Func<LabelledConfiguration, Label<double[,]>> label) =>
            tensor(frames.SelectMany(f => label(f).IsPresent ? label(f).Value.Cast<double>() : new double[9]).ToArray(), dtype: dtype)
                .view(frames.Count, 3, 3);
        return new TrainingBatch(graph, frames)
        {
            Inputs = inputs,
            ConfigWeight = Graph(f => f.Weight),
            AtomCount = Graph(f => f.Configuration.AtomCount),
            Energy = Graph(f => f.Energy.IsPresent ? f.Energy.Value : 0),
            EnergyWeight = Graph(f => f.Energy.Weight),
            Forces = Rows(f => f.Forces, 3),
            ForcesWeight = PerAtom(f => f.Weight * f.Forces.Weight),
            Multipoles = multipoles,
            MultipolesWeight = PerAtom(f => f.Weight * f.AtomicMultipoles.Weight),
            TotalCharge = charge,
            TotalChargeWeight = Graph(f => f.TotalCharge.Weight),
            Dipole = tensor(frames.SelectMany(f => f.Dipole.IsPresent ? f.Dipole.Value : [0.0, 0, 0]).ToArray(), dtype: dtype).view(frames.Count, 3),
            DipoleWeight = tensor(frames.SelectMany(f => f.DipoleComponentWeights.Select(w => w * f.Dipole.Weight)).ToArray(), dtype: dtype)
                .view(frames.Count, 3),
            FermiLevel = fermi,
            FermiLevelWeight = Graph(f => f.FermiLevel.Weight),
            PotentialWeight = hasMultipoles * PerAtom(f => f.Weight),
            Stress = Tensors3x3(f => f.Stress),
            StressWeight = Graph(f => f.Stress.Weight),
            Virials = Tensors3x3(f => f.Virials),
            VirialsWeight = Graph(f => f.Virials.Weight),
            Polarizability = Tensors3x3(f => f.Polarizability),
            PolarizabilityWeight = Graph(f => f.Polarizability.Weight),
            BornCharges = Rows(f => f.BornCharges, 9).view(-1, 3, 3),
            BornChargesWeight = PerAtom(f => f.Weight * f.BornCharges.Weight),
            Volume = Graph(f => f.Configuration.Cell is { } c ? Math.Abs(CellVolume.Of(c)) is var v && v > 0 ? v : 1.0 : 1.0),
        };
    }

    public void Dispose() => _graph.Dispose();
}

/// What a batch needs to know of its model: dtype, neighbour cutoff, the multipole columns of its density (0 for none) and the
/// Fermi level taken for frames without one.
internal sealed record BatchLayout(ScalarType Dtype, double Cutoff, int MultipoleCount, double FermiLevelOffset)
{
    public static BatchLayout Of(FixedPointModel model) => new(model.Dtype, model.Hyperparameters.Mace.RMax,
        model.Hyperparameters.Electrostatics.DensityCoefficientCount, model.Hyperparameters.FermiLevelOffset);
}
