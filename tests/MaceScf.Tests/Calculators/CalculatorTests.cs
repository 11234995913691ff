using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Models;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Calculators;

/// The ASE-style calculators: results cached until the structure changes, warm start kept between calls and dropped when the
/// atoms, species, cell or pbc change, a diverged SCF thrown as <see cref="ScfDivergedException"/>, and the same numbers as
/// the model's door.
public sealed class CalculatorTests(ITestOutputHelper output)
{
    private static readonly ScfOptions Tight = new() { ConstantCharge = false, MixingParameter = 0.5, NumScfSteps = 200, ScfTolerance = 1e-10 };

    private static FixedPointModel Model() => FixedPointTestSystems.Damped(FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.MixedPeriodic), 41, 0.3);

    /// A 5-atom molecule in a cubic box, periodic or not.
    private static Structure Molecule(double shift = 0, bool periodic = false, double cellLength = 9.0)
    {
        var (positions, species) = MaceTestSystems.Molecule(5, 3);
        int[] numbers = species.Select(s => s == 0 ? 1 : 8).ToArray();
        for (int i = 0; i < positions.GetLength(0); i++) positions[i, 0] += shift * (i + 1);
        var cell = new double[,] { { cellLength, 0, 0 }, { 0, cellLength, 0 }, { 0, 0, cellLength } };
        return new Structure(new Configuration(numbers, positions, cell, [periodic, periodic, periodic]), TotalCharge: 0, FermiLevel: -0.2);
    }

    [Fact]
    public void ResultsAreCachedUntilTheStructureChanges()
    {
        using var model = Model();
        var calculator = new FixedPointCalculator(model, Tight);
        var structure = Molecule();
        var first = calculator.Calculate(structure);
        Assert.Same(first, calculator.Calculate(Molecule()));
        Assert.Same(first, calculator.Calculate(structure, CalculatorProperties.Energy));
        // More properties than cached, moved atoms or other conditions: computed again.
        Assert.NotSame(first, calculator.Calculate(structure, CalculatorProperties.Energy | CalculatorProperties.Forces | CalculatorProperties.Stress));
        var moved = calculator.Calculate(Molecule(0.01));
        Assert.NotEqual(first.Energy, moved.Energy);
        Assert.NotEqual(moved.Energy, calculator.Calculate(Molecule(0.01) with { FermiLevel = 0.3 }).Energy);
        // A caller changing its arrays in place is seen as a change.
        var mutable = Molecule(0.02);
        var before = calculator.Calculate(mutable);
        mutable.Atoms.Positions[0, 0] += 0.05;
        Assert.NotSame(before, calculator.Calculate(mutable));
    }

    [Fact]
    public void WarmStartIsKeptBetweenStepsAndDroppedWhenTheCellOrSpeciesChange()
    {
        using var model = Model();
        var warm = new FixedPointCalculator(model, Tight, WarmStart.Last);
        var cold = new FixedPointCalculator(model, Tight);
        warm.Calculate(Molecule(0, periodic: true));
        var next = Molecule(0.002, periodic: true);
        int warmSteps = warm.Calculate(next).Steps, coldSteps = cold.Calculate(next).Steps;
        output.WriteLine($"SCF updates after a small move: warm {warmSteps}, cold {coldSteps}");
        Assert.True(warmSteps < coldSteps);
        // Another cell: the state is dropped, the SCF starts cold and takes the cold number of updates.
        var strained = Molecule(0.002, periodic: true, cellLength: 9.2);
        Assert.Equal(cold.Calculate(strained).Steps, warm.Calculate(strained).Steps);
        // Other species: dropped too.
        var swapped = strained with { Atoms = new Configuration(strained.Atoms.AtomicNumbers.Reverse().ToArray(), strained.Atoms.Positions, strained.Atoms.Cell, strained.Atoms.Pbc) };
        Assert.Equal(cold.Calculate(swapped).Steps, warm.Calculate(swapped).Steps);
        // Reset drops it as well.
        warm.Calculate(Molecule(0.004, periodic: true));
        warm.Reset();
        var again = Molecule(0.006, periodic: true);
        Assert.Equal(cold.Calculate(again).Steps, warm.Calculate(again).Steps);
    }

    [Fact]
    public void ADivergedScfThrowsScfDivergedException()
    {
        using var model = Model();
        var calculator = new FixedPointCalculator(model, Tight with { MixingParameter = 4.0 });
        var e = Assert.Throws<ScfDivergedException>(() => calculator.Calculate(Molecule()));
        output.WriteLine(e.Message);
        Assert.Equal(ScfStatus.Diverged, e.Results.Status);
        Assert.StartsWith("the SCF diverged after", e.Message);
        // Scanning many structures reports it in the status instead.
        var all = calculator.CalculateAll([Molecule(), Molecule(0.01)], CalculatorProperties.Energy, batchSize: 1).ToList();
        Assert.All(all, r => Assert.Equal(ScfStatus.Diverged, r.Status));
    }

    [Fact]
    public void CalculatorsGiveTheNumbersOfTheModelsDoor()
    {
        using var scope = NewDisposeScope();
        using var model = Model();
        var structure = Molecule(0, periodic: true);
        var results = new FixedPointCalculator(model, Tight).Calculate(structure,
            CalculatorProperties.Energy | CalculatorProperties.Forces | CalculatorProperties.Stress);
        using var batch = GraphBatch.Build([structure.Atoms], model.Hyperparameters.Mace.RMax, new SpeciesTable(model.Hyperparameters.Mace.AtomicNumbers));
        var inputs = SystemInputs.FromBatch(batch) with
        {
            ExternalField = zeros(1, 3, dtype: ScalarType.Float64), TotalCharge = zeros(1, dtype: ScalarType.Float64),
            FermiLevel = tensor(new[] { -0.2 }, dtype: ScalarType.Float64),
        };
        var prediction = model.Predict(inputs, new PredictionRequest { Scf = Tight, Stress = true });
        Assert.Equal(prediction.Energy.item<double>(), results.Energy);
        Assert.Equal(0, MaceTestSystems.MaxDiff(prediction.Forces!, MaceTestSystems.Tensor2D(results.Forces!)));
        Assert.Equal(0, MaceTestSystems.MaxDiff(prediction.Stress![0], MaceTestSystems.Tensor2D(results.Stress!)));
        Assert.Equal(0, MaceTestSystems.MaxDiff(prediction.Virials![0], MaceTestSystems.Tensor2D(results.Virial!)));
        Assert.Equal(results.Energy, results.Terms.Values.Sum(), 1e-12);

        var mace = MaceTestSystems.Model(5);
        var maceResults = new MaceCalculator(mace).Calculate(structure, CalculatorProperties.Energy | CalculatorProperties.Forces | CalculatorProperties.Stress);
        var macePrediction = mace.Predict(SystemInputs.FromBatch(batch), new PredictionRequest { Stress = true });
        Assert.Equal(macePrediction.Energy.item<double>(), maceResults.Energy);
        Assert.Equal(0, MaceTestSystems.MaxDiff(macePrediction.Forces!, MaceTestSystems.Tensor2D(maceResults.Forces!)));
        Assert.Equal(0, MaceTestSystems.MaxDiff(macePrediction.Stress![0], MaceTestSystems.Tensor2D(maceResults.Stress!)));
        Assert.Null(maceResults.Density);
    }
}
