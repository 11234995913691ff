using MaceScf.Cli.Commands;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using Xunit.Abstractions;

namespace MaceScf.Tests.FixedPoint;

/// The SCF on the bundled charged water clusters and periodic frames (molecule_in_box and pbc), in a batch, with the
/// seed's recommended mixing.
public class BundledDataScfTests(ITestOutputHelper output)
{
    /// At constant Fermi level (the frames' the_VBM). A random model's dQ/dμ is ~0.01 e/V, so at constant charge the Newton
    /// steps on μ (clamped to 1 V) need more than the default 99 updates to move 1 e; that mode is covered by the linear
    /// response and force tests.
    [Fact]
    public void ConvergesOnBundledDataWithRecommendedMixing()
    {
        var hp = FixedPointTestSystems.Hyperparameters() with
        {
            Electrostatics = new ElectrostaticsOptions { Method = BoundaryMethod.MixedPeriodic, FieldFeatureWidths = [1.5, 3.0], KspaceCutoffFactor = 0.8 },
            FieldFeatureNorms = [25.0, 25.0, 1.0, 1.0],
        };
        using var model = FixedPointTestSystems.Damped(hp, 51, 0.1);
        var frames = new LabelExtractor(EvalCommand.ParseKeys(Cli.EvalCommandTests.Keys))
            .ExtractAll(ExtXyzReader.Read(Path.Combine("data", "fixtures", "test_configs.xyz"))).ToList();
        var options = new ScfOptions { MixingParameter = 0.3, ConstantCharge = false };
        var results = new FrameEvaluator(model, options, batchSize: 7, computeForces: false).Evaluate(frames).ToList();
        foreach (var r in results)
            output.WriteLine($"{r.Frame.ConfigType}: {ScfResult.Name(r.Status)} in {r.Steps} updates, Q = {r.TotalCharge:F6} "
                + $"(target {r.Frame.TotalCharge.Value}), μ = {r.FermiLevel:F4} V, last |Δp| {r.History[^1]:E1}");
        Assert.All(results, r => Assert.Equal(ScfStatus.Converged, r.Status));
        Assert.All(results, r => Assert.True(r.History[^1] < 1e-6));
        Assert.All(results, r => Assert.Equal(r.Frame.FermiLevel.IsPresent ? r.Frame.FermiLevel.Value : hp.FermiLevelOffset, r.FermiLevel));
        // Starting from the reference multipoles (9 columns in the file, 4 used) reaches the same fixed point.
        var fromData = new FrameEvaluator(model, options with { InitialDensity = InitialDensity.FromData, ScfTolerance = 1e-10 }, 7, false)
            .Evaluate(frames).ToList();
        var fromGuess = new FrameEvaluator(model, options with { ScfTolerance = 1e-10 }, 7, false).Evaluate(frames).ToList();
        double worst = fromData.Zip(fromGuess, (a, b) => Enumerable.Range(0, a.Density.GetLength(0))
            .SelectMany(i => Enumerable.Range(0, 4).Select(k => Math.Abs(a.Density[i, k] - b.Density[i, k]))).Max()).Max();
        output.WriteLine($"max |p(from_data) − p(local_guess)| = {worst:E2}");
        Assert.True(worst < 1e-8, $"{worst}");
    }
}
