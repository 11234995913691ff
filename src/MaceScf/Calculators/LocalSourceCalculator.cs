using MaceScf.LocalSources;

namespace MaceScf.Calculators;

/// A local-source model (LocalCharges, LocalSplitCharges, FixedChargeBaselinedMACE, MACEQEq) as a calculator: energy with its terms, forces, stress,
/// the multipoles (partial charges and dipoles), total charge and dipole; no SCF.
internal sealed class LocalSourceCalculator(LocalSourceModel model) : OneShotCalculator(model)
{
    internal override bool NeedsFormalCharges => model.Hyperparameters.FormalChargesFromData;
}
