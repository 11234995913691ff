using MaceScf.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// scf_mixer anderson: the same fixed point as linear mixing (against the direct solution of a linear response, and against
/// linear mixing on a saturating response and on the model), in fewer updates; differentiable through the unroll; implicit forces
/// of the Anderson-converged SCF equal finite differences.
public class AndersonMixingTests(ITestOutputHelper output)
{
    private static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<double>();

    private static ScfOptions Tight(bool constantCharge, ScfMixer mixer, double alpha = 0.25) => new()
    {
        ConstantCharge = constantCharge, MixingParameter = alpha, ScfTolerance = 1e-13, NumScfSteps = 400, Mixer = mixer,
    };

    [Fact]
    public void ConstantFermiLevelReachesTheDirectSolutionInFewerUpdates()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        double[] mu = [0.2, -0.1];
        var linear = ScfRunner.Run(map, Tight(false, ScfMixer.Linear), map.LocalDensity, tensor(mu, dtype: float64));
        var anderson = ScfRunner.Run(map, Tight(false, ScfMixer.Anderson), map.LocalDensity, tensor(mu, dtype: float64));
        var (expected, _) = map.SolveDirectly(mu, null);
        output.WriteLine($"constant μ, α = 0.25: linear {string.Join('/', linear.Steps)} updates, Anderson {string.Join('/', anderson.Steps)}");
        Assert.True(anderson.AllConverged && linear.AllConverged);
        output.Report("Anderson: max |p − p_direct|", MaxDiff(anderson.Density, expected), 1e-11);
        Assert.True(anderson.Steps.Max() * 2 < linear.Steps.Min(), "Anderson must need less than half the linear updates");
        // The returned features are those of the returned density.
        Assert.True(MaxDiff(anderson.Features, map.Features(anderson.Density, tensor(mu, dtype: float64).index_select(0, map.Batch))) < 1e-14);
    }

    [Fact]
    public void ConstantChargeReachesTheDirectSolutionAndTargetChargeInFewerUpdates()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        double[] target = [-1.0, 0.5];
        var start = tensor(new[] { 0.8, -0.6 }, dtype: float64);
        var linear = ScfRunner.Run(map, Tight(true, ScfMixer.Linear), map.LocalDensity, start, tensor(target, dtype: float64));
        var anderson = ScfRunner.Run(map, Tight(true, ScfMixer.Anderson), map.LocalDensity, start, tensor(target, dtype: float64));
        var (expected, mu) = map.SolveDirectly([0, 0], target);
        var charge = ScfRunner.GraphSum(map, anderson.Density[.., 0]).data<double>().ToArray();
        output.WriteLine($"constant Q, α = 0.25: linear {string.Join('/', linear.Steps)} updates, Anderson {string.Join('/', anderson.Steps)}");
        Assert.True(anderson.AllConverged && linear.AllConverged);
        output.Report("Anderson: max |p − p_direct|", MaxDiff(anderson.Density, expected), 1e-10);
        output.Report("Anderson: max |μ − μ_direct|", MaxDiff(anderson.FermiLevel, mu), 1e-9);
        output.Report("Anderson: max |Q − Q_target|", Math.Max(Math.Abs(charge[0] - target[0]), Math.Abs(charge[1] - target[1])), 1e-9);
        Assert.True(anderson.Steps.Max() * 2 < linear.Steps.Min(), "Anderson must need less than half the linear updates");
    }

    /// A response that saturates (not linear in V̂) started 8 V above μ*: the Anderson SCF, with its restarts, reaches the fixed
    /// point linear mixing reaches, and not later.
    [Fact]
    public void SaturatingResponseFarFromTheFermiLevelReachesTheLinearFixedPoint()
    {
        using var scope = NewDisposeScope();
        using var inner = new LinearResponseMap();
        var map = new SaturatingResponseMap(inner, 0.3);
        double[] target = [-0.4, 0.3];
        var start = tensor(new[] { 8.0, 8.0 }, dtype: float64);
        var options = Tight(true, ScfMixer.Linear, 0.3) with { ScfTolerance = 1e-12 };
        var linear = ScfRunner.Run(map, options, map.LocalDensity, start, tensor(target, dtype: float64));
        var anderson = ScfRunner.Run(map, options with { Mixer = ScfMixer.Anderson }, map.LocalDensity, start, tensor(target, dtype: float64));
        output.WriteLine($"saturating, 8 V off: linear {string.Join('/', linear.Steps)} updates, Anderson {string.Join('/', anderson.Steps)}");
        Assert.True(linear.AllConverged && anderson.AllConverged);
        output.Report("max |p_Anderson − p_linear|", MaxDiff(anderson.Density, linear.Density), 1e-9);
        output.Report("max |μ_Anderson − μ_linear|", MaxDiff(anderson.FermiLevel, linear.FermiLevel), 1e-8);
        Assert.True(anderson.Steps.Max() <= linear.Steps.Min());
    }

    /// With the graph kept, the Anderson SCF is differentiable: dQ/dμ through the unrolled loop is the capacitance of the direct
    /// solution.
    [Fact]
    public void GradientsFlowThroughTheUnrolledAndersonLoop()
    {
        using var scope = NewDisposeScope();
        using var map = new LinearResponseMap();
        var mu = tensor(new[] { 0.2, -0.1 }, dtype: float64).requires_grad_(true);
        var result = ScfRunner.Run(map, Tight(false, ScfMixer.Anderson, 0.5), map.LocalDensity, mu, keepGraph: true);
        var q = ScfRunner.GraphSum(map, result.Density[.., 0]);
        var grad = autograd.grad([q[0]], [mu])[0];
        var (p0, _) = map.SolveDirectly([0, 0], null);
        var (p1, _) = map.SolveDirectly([1, 0], null);
        double capacitance = (p1[..4, 0].sum() - p0[..4, 0].sum()).item<double>();
        output.WriteLine($"{result.Steps[0]} updates; dQ/dμ {grad[0].item<double>():R}, direct {capacitance:R}");
        Assert.Equal(capacitance, grad[0].item<double>(), 1e-10);
    }

    /// On the model (constant charge and constant μ): the same energy and implicit forces as linear mixing, and the implicit forces
    /// of the Anderson SCF equal −∂E/∂r by central differences of the Anderson-converged energy.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ModelEnergyAndImplicitForcesEqualLinearMixingAndFiniteDifferences(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        // Started 0.5 V from this random model's μ* (100.6 V for Q = −1 e: its response is weak, and the ±1 V bound on the μ step
        // would make both mixers walk there for 100 updates).
        var inputs = FixedPointTestSystems.Molecule() with { FermiLevel = tensor(new[] { 100.1 }, dtype: float64) };
        var linearOptions = FixedPointTestSystems.TightScf(constantCharge) with { MixingParameter = 0.25 };
        var options = linearOptions with { Mixer = ScfMixer.Anderson };
        var linear = model.Evaluate(inputs, linearOptions, computeForces: true);
        var anderson = model.Evaluate(inputs, options, computeForces: true);
        output.WriteLine($"updates: linear {linear.Scf.Steps[0]}, Anderson {anderson.Scf.Steps[0]}");
        Assert.True(anderson.Scf.AllConverged);
        Assert.Equal(ForcesMethod.Implicit, anderson.Derivation!.Method);
        Assert.True(anderson.Scf.Steps[0] < linear.Scf.Steps[0]);
        output.Report("|E_Anderson − E_linear| (eV)", Math.Abs(anderson.Energy.item<double>() - linear.Energy.item<double>()), 1e-10);
        output.Report("max |F_Anderson − F_linear| (eV/Å)", MaceTestSystems.MaxDiff(anderson.Forces!, linear.Forces!), 1e-9);
        var positions = MaceTestSystems.ToArray2D(inputs.Graph.Positions);
        double h = 1e-4, scale = MaceTestSystems.MaxAbs(anderson.Forces!);
        var fd = zeros_like(anderson.Forces!);
        for (int i = 0; i < positions.GetLength(0); i++)
        for (int d = 0; d < 3; d++)
        {
            double Shifted(double delta)
            {
                var x = (double[,])positions.Clone();
                x[i, d] += delta;
                return FixedPointTestSystems.Energy(model, inputs.WithGeometry(MaceTestSystems.Tensor2D(x), inputs.Graph.Cell), options);
            }
            fd[i, d] = -(Shifted(h) - Shifted(-h)) / (2 * h);
        }
        output.Report("Anderson, implicit: max |F − F_fd| / max |F|", MaceTestSystems.MaxDiff(anderson.Forces!, fd) / scale, 1e-6);
        if (constantCharge) Assert.Equal(-1.0, anderson.TotalCharge.item<double>(), 1e-8);
    }
}
