using MaceScf.FixedPoint;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The SCF loop against the direct solution of the linear (QEq-like) system of a hand-set one-body response.
public class ScfRunnerTests(ITestOutputHelper output)
{
    private static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<double>();

    [Fact]
    public void ConstantFermiLevelFixedPointEqualsDirectSolution()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        double[] mu = [0.2, -0.1];
        var options = new ScfOptions { ConstantCharge = false, MixingParameter = 0.5, ScfTolerance = 1e-13, NumScfSteps = 200 };
        var result = ScfRunner.Run(map, options, map.LocalDensity, tensor(mu, dtype: float64));
        var (expected, _) = map.SolveDirectly(mu, null);
        double error = MaxDiff(result.Density, expected);
        output.WriteLine($"constant μ: {result.Steps[0]}/{result.Steps[1]} steps, max |p − p_direct| = {error:E2}, history {result.History.shape[1]}");
        Assert.All(result.Status, s => Assert.Equal(ScfStatus.Converged, s));
        Assert.True(error < 1e-10, $"{error}");
        Assert.Equal(mu, result.FermiLevel.data<double>().ToArray());
        // The returned features are those of the returned density.
        Assert.True(MaxDiff(result.Features, map.Features(result.Density, tensor(mu, dtype: float64).index_select(0, map.Batch))) < 1e-14);
        // convergence_history is the mean |Δp| of each update and falls to the tolerance.
        var last = result.History[.., -1];
        Assert.True(last.max().item<double>() < 1e-13);
    }

    [Fact]
    public void ConstantChargeReturnsTargetChargeAndDirectSolution()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        double[] target = [-1.0, 0.5];
        var options = new ScfOptions { ConstantCharge = true, MixingParameter = 0.5, ScfTolerance = 1e-13, NumScfSteps = 300 };
        var result = ScfRunner.Run(map, options, map.LocalDensity, tensor(new[] { 0.0, 0.0 }, dtype: float64), tensor(target, dtype: float64));
        var (expected, mu) = map.SolveDirectly([0, 0], target);
        var charge = ScfRunner.GraphSum(map, result.Density[.., 0]).data<double>().ToArray();
        double pError = MaxDiff(result.Density, expected), muError = MaxDiff(result.FermiLevel, mu);
        output.WriteLine($"constant Q: steps {string.Join('/', result.Steps)}; Q = {charge[0]:R}, {charge[1]:R}; "
            + $"|p − p_direct| {pError:E2}; |μ − μ_direct| {muError:E2}; μ = {string.Join(", ", result.FermiLevel.data<double>().ToArray())}");
        Assert.All(result.Status, s => Assert.Equal(ScfStatus.Converged, s));
        Assert.Equal(target[0], charge[0], 1e-8);
        Assert.Equal(target[1], charge[1], 1e-8);
        Assert.True(pError < 1e-9, $"{pError}");
        Assert.True(muError < 1e-8, $"{muError}");
    }

    [Fact]
    public void ShiftingFermiLevelShiftsChargeByCapacitance()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        var options = new ScfOptions { ConstantCharge = false, MixingParameter = 0.5, ScfTolerance = 1e-14, NumScfSteps = 300 };
        double Charge(double mu0) =>
            ScfRunner.GraphSum(map, ScfRunner.Run(map, options, map.LocalDensity, tensor(new[] { mu0, 0.0 }, dtype: float64)).Density[.., 0])[0]
                .item<double>();
        // Capacitance dQ/dμ of the direct solution.
        var (p0, _) = map.SolveDirectly([0, 0], null);
        var (p1, _) = map.SolveDirectly([1, 0], null);
        double capacitance = (p1[..4, 0].sum() - p0[..4, 0].sum()).item<double>();
        double shift = 0.3, measured = (Charge(0.1 + shift) - Charge(0.1)) / shift;
        output.WriteLine($"capacitance {capacitance:R} e/V, SCF {measured:R}");
        Assert.True(capacitance < -1e-3, "the hand-set response must give a finite, negative dQ/dμ");
        Assert.Equal(capacitance, measured, 1e-10);
    }

    /// From the constant-charge fixed point (p*, μ*) with μ started 0.5 V off, the first update's charge deficit is
    /// ΔQ = −αRδμ (R = ∂Q(F)/∂μ at fixed input) and the projection removes its density response exactly, so the Newton step
    /// ΔQ/(αR) lands on μ* for a linear response; the Python step ΔQ/R would leave (1 − α)δμ = 0.35 V. Two updates: the
    /// returned μ is the one after the first Newton step, and the second update returns p*.
    [Fact]
    public void NewtonStepOnFermiLevelAccountsForMixing()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        double[] target = [-1.0, 0.5];
        var (density, mu) = map.SolveDirectly([0, 0], target);
        var options = new ScfOptions { ConstantCharge = true, MixingParameter = 0.3, ScfTolerance = 0, NumScfSteps = 3 };
        var result = ScfRunner.Run(map, options, density, mu.Plus(0.5), tensor(target, dtype: float64));
        double muError = MaxDiff(result.FermiLevel, mu), pError = MaxDiff(result.Density, density);
        output.WriteLine($"after one Newton step |μ − μ*| = {muError:E2}; after two updates |p − p*| = {pError:E2}");
        Assert.Equal(2, result.History.shape[1]);
        Assert.True(muError < 1e-10, $"{muError}");
        Assert.True(pError < 1e-10, $"{pError}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void UnstableMixingIsReportedAsDiverged(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        var options = new ScfOptions { ConstantCharge = constantCharge, MixingParameter = 3.0, NumScfSteps = 500 };
        var result = ScfRunner.Run(map, options, map.LocalDensity, zeros(2, dtype: float64), zeros(2, dtype: float64));
        output.WriteLine($"status {string.Join(", ", result.Status)}; updates {result.History.shape[1]}; last change "
            + string.Join(", ", result.History[.., -1].data<double>().ToArray()));
        Assert.All(result.Status, s => Assert.Equal(ScfStatus.Diverged, s));
        Assert.True(result.History.shape[1] < 499, "divergence must stop the loop early");
        Assert.False(result.Density.isnan().any().item<bool>() || result.FermiLevel.isnan().any().item<bool>());
    }

    /// A structure whose density ignores μ (χ = 0) cannot be held at another charge: μ walks MaxFermiStep per update and the
    /// structure ends with NoChargeResponse, not MaxStepsReached; the other structure of the batch converges.
    [Fact]
    public void ADensityThatIgnoresTheFermiLevelAtConstantChargeIsReportedAsNoChargeResponse()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap(secondStructureScale: 0);
        double[] target = [-1.0, 0.5];
        var options = new ScfOptions { ConstantCharge = true, MixingParameter = 0.5, ScfTolerance = 1e-10, NumScfSteps = 60 };
        var result = ScfRunner.Run(map, options, map.LocalDensity, zeros(2, dtype: float64), tensor(target, dtype: float64));
        var mu = result.FermiLevel.data<double>().ToArray();
        output.WriteLine($"status {string.Join(", ", result.Status)}; steps {string.Join(", ", result.Steps)}; μ {string.Join(", ", mu)}");
        Assert.Equal([ScfStatus.Converged, ScfStatus.NoChargeResponse], result.Status);
        Assert.Equal(59, result.Steps[1]);
        Assert.Equal(58.0, Math.Abs(mu[1]), 9);
        Assert.Equal("no_charge_response", ScfResult.Name(result.Status[1]));
        Assert.True(ScfResult.Failed(ScfStatus.NoChargeResponse) && !ScfResult.Failed(ScfStatus.MaxStepsReached));
        // The same structure at constant Fermi level converges: only the charge target is out of reach.
        var free = ScfRunner.Run(map, options with { ConstantCharge = false }, map.LocalDensity, zeros(2, dtype: float64));
        Assert.All(free.Status, s => Assert.Equal(ScfStatus.Converged, s));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void DivergedStructureIsFrozenWhileTheOthersConverge(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap(secondStructureScale: 40);
        var options = new ScfOptions { ConstantCharge = constantCharge, MixingParameter = 0.5, ScfTolerance = 1e-12, NumScfSteps = 300 };
        var result = ScfRunner.Run(map, options, map.LocalDensity, zeros(2, dtype: float64), zeros(2, dtype: float64));
        output.WriteLine($"status {string.Join(", ", result.Status)}; steps {string.Join(", ", result.Steps)}; updates {result.History.shape[1]}");
        Assert.Equal([ScfStatus.Converged, ScfStatus.Diverged], result.Status);
        Assert.True(result.Steps[1] < result.Steps[0], "the unstable structure is flagged before the other converges");
        Assert.False(result.Density.isnan().any().item<bool>() || result.Density.isinf().any().item<bool>());
        // The structure that converged is unaffected by its diverging neighbour in the batch.
        if (!constantCharge)
        {
            var (expected, _) = map.SolveDirectly([0, 0], null);
            Assert.True(MaxDiff(result.Density[..4], expected[..4]) < 1e-9);
        }
        Assert.Equal(0.0, result.History[1, (result.Steps[1])..].abs().max().item<double>());
    }

    [Fact]
    public void StepBudgetIsNumScfStepsMinusOne()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        var options = new ScfOptions { ConstantCharge = false, NumScfSteps = 4, ScfTolerance = 0 };
        var result = ScfRunner.Run(map, options, map.LocalDensity, zeros(2, dtype: float64));
        Assert.Equal(3, result.History.shape[1]);
        Assert.Equal(3, map.Calls);
        Assert.All(result.Status, s => Assert.Equal(ScfStatus.MaxStepsReached, s));
        Assert.Equal([3, 3], result.Steps);
    }

    [Fact]
    public void GradientsFlowThroughTheUnrolledLoop()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        var mu = tensor(new[] { 0.2, -0.1 }, dtype: float64).requires_grad_(true);
        var options = new ScfOptions { ConstantCharge = false, MixingParameter = 0.5, ScfTolerance = 1e-13, NumScfSteps = 200 };
        var result = ScfRunner.Run(map, options, map.LocalDensity, mu, keepGraph: true);
        var q = ScfRunner.GraphSum(map, result.Density[.., 0]);
        var grad = autograd.grad([q[0]], [mu])[0];
        var (p0, _) = map.SolveDirectly([0, 0], null);
        var (p1, _) = map.SolveDirectly([1, 0], null);
        double capacitance = (p1[..4, 0].sum() - p0[..4, 0].sum()).item<double>();
        Assert.Equal(capacitance, grad[0].item<double>(), 1e-10);
    }
}
