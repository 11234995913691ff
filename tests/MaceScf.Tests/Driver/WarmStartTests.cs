using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Calculators;
using MaceScf.Md;
using MaceScf.Tests.Cli;
using Xunit.Abstractions;

namespace MaceScf.Tests.Driver;

/// The MD warm start (`macescf ipi --warm_start`): on a smooth trajectory every warm start gives the cold-start energy and
/// forces, and extrapolating the converged densities in time needs fewer SCF updates than reusing the last one.
public sealed class WarmStartTests(IpiTestSystem system, ITestOutputHelper output) : IClassFixture<IpiTestSystem>
{
    private const int Steps = 8;

    [Fact]
    public void ExtrapolatedWarmStartsGiveColdStartResultsInFewerUpdates()
    {
        var frame = ExtXyzReader.ReadAll(system.Cluster)[0];
        using var model = ModelFile.Load(system.ModelPath);
        var template = new LabelExtractor(MaceScf.Cli.Commands.EvalCommand.ParseKeys(IpiTestSystem.Keys),
            model.Hyperparameters.Electrostatics.DensityMaxL).Extract(frame);
        var options = IpiTestSystem.Scf with { ScfTolerance = 1e-9 };
        // A smooth trajectory: every atom on its own small oscillation.
        double[,] Positions(int step)
        {
            var positions = (double[,])frame.Positions.Clone();
            for (int a = 0; a < frame.AtomCount; a++)
                for (int k = 0; k < 3; k++) positions[a, k] += 0.05 * Math.Sin(0.3 * step + 3 * a + k);
            return positions;
        }
        var updates = new Dictionary<WarmStart, int>();
        var cold = new MdPotential(model, template, options, WarmStart.None);
        var reference = Enumerable.Range(0, Steps).Select(s => cold.Evaluate(Positions(s), frame.Cell)).ToArray();
        foreach (var warmStart in new[] { WarmStart.Last, WarmStart.Linear, WarmStart.Quadratic })
        {
            var potential = new MdPotential(model, template, options, warmStart);
            int total = 0;
            for (int s = 0; s < Steps; s++)
            {
                var prediction = potential.Evaluate(Positions(s), frame.Cell);
                Assert.Equal(reference[s].Energy, prediction.Energy, 1e-7);
                IpiClientTests.AssertClose(reference[s].Forces!, prediction.Forces!, 1e-6);
                if (s >= 3) total += prediction.Steps;
            }
            updates[warmStart] = total;
        }
        int coldTotal = reference.Skip(3).Sum(p => p.Steps);
        output.WriteLine($"SCF updates of steps 3–{Steps - 1}: cold {coldTotal}, "
            + string.Join(", ", updates.Select(u => $"{WarmStartNames.Name(u.Key)} {u.Value}")));
        Assert.True(updates[WarmStart.Last] < coldTotal);
        Assert.True(updates[WarmStart.Linear] < updates[WarmStart.Last]);
        Assert.True(updates[WarmStart.Quadratic] < updates[WarmStart.Last]);
    }

    [Fact]
    public void ExtrapolationWeightsSumToOneAndLowerTheOrderEarly()
    {
        foreach (var warmStart in Enum.GetValues<WarmStart>())
            for (int available = 1; available <= 3; available++)
                Assert.Equal(1.0, WarmStartNames.Coefficients(warmStart, available).Sum(), 1e-15);
        Assert.Equal([1.0], WarmStartNames.Coefficients(WarmStart.Quadratic, 1));
        Assert.Equal([2.0, -1.0], WarmStartNames.Coefficients(WarmStart.Quadratic, 2));
        Assert.Equal([3.0, -3.0, 1.0], WarmStartNames.Coefficients(WarmStart.Quadratic, 3));
        Assert.Equal([2.0, -1.0], WarmStartNames.Coefficients(WarmStart.Linear, 3));
        Assert.Equal([1.0], WarmStartNames.Coefficients(WarmStart.Last, 3));
    }

    [Fact]
    public void BadWarmStartOptionsAreUsageErrors()
    {
        var (code, text) = CliRunner.Run("ipi", system.ModelPath, "--init", system.Cluster, "--unix", "x", "--warm_start", "cubic");
        Assert.Equal(2, code);
        Assert.Contains("none, last, linear, quadratic", text);
        (code, text) = CliRunner.Run("ipi", system.ModelPath, "--init", system.Cluster, "--unix", "x", "--warm_start", "last", "--no-warm-start");
        Assert.Equal(2, code);
        Assert.Contains("not both", text);
    }
}
