using MaceScf.Models;

namespace MaceScf.Calculators;

/// <summary>
/// A model without an SCF (plain MACE, the local-source models) as a calculator: one pass through its door per batch,
/// with forces and stress when asked for.
/// </summary>
public abstract class OneShotCalculator : ModelCalculator
{
    private protected OneShotCalculator(IAtomisticModel model) : base(model, 0.0) { }

    private protected override PredictionRequest Request(CalculatorProperties properties, bool warmStart) => new()
    {
        Forces = properties.HasFlag(CalculatorProperties.Forces),
        Stress = properties.HasFlag(CalculatorProperties.Stress),
        BornCharges = properties.HasFlag(CalculatorProperties.BornCharges),
        Polarizability = properties.HasFlag(CalculatorProperties.Polarizability),
    };

    /// <inheritdoc/>
    protected override CalculatorResults Compute(Structure structure, CalculatorProperties properties) => Batch([structure], properties, null).Single();
}
