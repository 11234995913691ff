using MaceScf.Mace;

namespace MaceScf.Calculators;

/// <summary>The plain MACE backbone as a calculator: energy, forces and stress, no SCF.</summary>
public sealed class MaceCalculator(MaceModel model) : OneShotCalculator(model);
