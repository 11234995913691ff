using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Tests.FixedPoint;

namespace MaceScf.Tests.Cli;

/// A tiny saved fixed-point model (H and O, mixed_periodic) for command-line tests; by default its update is affine in the
/// features (no non-linearity), with <paramref name="nonlinearity"/> another update's.
internal static class SmallModel
{
    public static string Save(string folder, string nonlinearity = BlockNames.NoNonLinearity)
    {
        var hp = FixedPointTestSystems.Hyperparameters(nonlinearity: nonlinearity, method: BoundaryMethod.MixedPeriodic) with
        {
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.MixedPeriodic, FieldFeatureWidths = [1.0, 2.0], KspaceCutoffFactor = 0.8 },
        };
        var path = Path.Combine(folder, nonlinearity == BlockNames.NoNonLinearity ? "model.macescf" : $"model.{nonlinearity}.macescf");
        if (File.Exists(path)) return path;
        using var model = FixedPointTestSystems.Model(hp, 41);
        ModelFile.Save(model, path);
        return path;
    }
}
