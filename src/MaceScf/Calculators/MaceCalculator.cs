using MaceScf.Mace;
using MaceScf.Models;

namespace MaceScf.Calculators;

/// <summary>The plain MACE backbone as a calculator: energy, forces and stress, no SCF.</summary>
public sealed class MaceCalculator(MaceModel model) : ModelCalculator(model, 0.0)
{
    private protected override PredictionRequest Request(CalculatorProperties properties, bool warmStart) => new()
    {
        Forces = properties.HasFlag(CalculatorProperties.Forces),
        Stress = properties.HasFlag(CalculatorProperties.Stress),
    };

    /// <inheritdoc/>
    protected override CalculatorResults Compute(Structure structure, CalculatorProperties properties) => Batch([structure], properties, null).Single();
}
