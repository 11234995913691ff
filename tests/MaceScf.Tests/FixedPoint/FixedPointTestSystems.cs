using MaceScf.Models;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Tests.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Tiny fixed-point models (4 channels, 2 layers) and 4–5 atom structures for the model tests.
internal static class FixedPointTestSystems
{
    public static FixedPointHyperparameters Hyperparameters(string update = BlockNames.OneBodyVariableUpdate, string? embedding = null,
        string nonlinearity = BlockNames.NoNonLinearity, string readout = BlockNames.StrictQuadraticFieldEnergyReadout,
        BoundaryMethod method = BoundaryMethod.Realspace, bool linearLocal = false) => new()
    {
        Mace = MaceTestSystems.Hyperparameters() with { MaxEll = 2, Correlation = 2 },
        Electrostatics = new ElectrostaticsOptions { Method = method, FieldFeatureWidths = [1.0, 2.0], KspaceCutoffFactor = 1.0 },
        FieldFeatureNorms = [10.0, 10.0, 1.0, 1.0],
        UpdateConfig = new FixedPointUpdateConfig { Type = update, PotentialEmbeddingCls = embedding, NonlinearityCls = nonlinearity },
        FieldReadoutConfig = new FieldReadoutConfig { Type = readout },
        UseLinearLocalCharges = linearLocal,
        AtomDensityScaling = linearLocal ? AtomDensityScaling.Parse("{1: 0.5, 8: 2.0}") : AtomDensityScaling.None,
        FermiLevelOffset = -0.3,
    };

    /// A randomly initialised model (its update is a contraction for these structures and seeds).
    public static FixedPointModel Model(FixedPointHyperparameters hp, int seed)
    {
        torch.random.manual_seed(seed);
        return new FixedPointModel(hp);
    }

    /// A model whose update and local-density outputs are scaled by <paramref name="scale"/>: random weights respond far more
    /// strongly than trained ones, which the SCF on real structures (many neighbours) does not survive.
    public static FixedPointModel Damped(FixedPointHyperparameters hp, int seed, double scale)
    {
        var model = Model(hp, seed);
        model.ScaleChargeHeads(scale);
        return model;
    }

    /// A 5-atom molecule (open boundaries) with a total charge and an applied field.
    public static SystemInputs Molecule(double charge = -1.0, double[]? field = null, int seed = 3)
    {
        var (positions, species) = MaceTestSystems.Molecule(5, seed);
        var graph = MaceTestSystems.Inputs(positions, species, null, skin: 0);
        return new SystemInputs(graph, zeros(1, 3, dtype: ScalarType.Bool),
            tensor(field ?? [0.05, -0.02, 0.03], dtype: ScalarType.Float64).view(1, 3),
            tensor(new[] { charge }, dtype: ScalarType.Float64));
    }

    /// A 4-atom triclinic periodic cell.
    public static SystemInputs Periodic(int seed = 4)
    {
        var (positions, species) = MaceTestSystems.Molecule(4, seed);
        var graph = MaceTestSystems.Inputs(positions, species, MaceTestSystems.TriclinicCell());
        return new SystemInputs(graph, ones(1, 3, dtype: ScalarType.Bool), null, zeros(1, dtype: ScalarType.Float64));
    }

    public static ScfOptions TightScf(bool constantCharge = true) => new()
    {
        ConstantCharge = constantCharge, MixingParameter = 0.5, ScfTolerance = 1e-13, NumScfSteps = 300,
    };

    public static double Energy(FixedPointModel model, SystemInputs inputs, ScfOptions options)
    {
        using var scope = NewDisposeScope();
        return model.Evaluate(inputs, options, computeForces: false).Energy.sum().item<double>();
    }
}
