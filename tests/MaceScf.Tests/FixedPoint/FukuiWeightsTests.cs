using MaceScf.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The constant-charge SCF differentiates the charge response g_i = ∂(Σ_j Δq_j)/∂μ_i once per geometry when the update is affine
/// in V̂ (<see cref="IFixedPointMap.ChargeResponseIsConstant"/>): the claim holds for every update family without a
/// non-linearity, fails with MLPNonLinearity, and the SCF with the weights computed once equals the SCF that differentiates
/// every update, with and without the graph.
public class FukuiWeightsTests(ITestOutputHelper output)
{
    /// The map with the per-update Fukui weights of a general update.
    private sealed class PerUpdateFukuiMap(IFixedPointMap inner) : IFixedPointMap
    {
        public Tensor LocalDensity => inner.LocalDensity;
        public Tensor Batch => inner.Batch;
        public int NumGraphs => inner.NumGraphs;
        public ScfStep Step(Tensor density, Tensor fermiLevel) => inner.Step(density, fermiLevel);
        public Tensor Features(Tensor density, Tensor fermiLevel) => inner.Features(density, fermiLevel);
    }

    private static Tensor Response(FixedPointGeometry geometry, Tensor density, double mu)
    {
        var muNode = full(geometry.Batch.shape[0], mu, dtype: float64).requires_grad_(true);
        var update = geometry.Step(density, muNode).Update;
        return autograd.grad([update[.., 0].sum()], [muNode])[0];
    }

    [Theory]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.BiasedLinearPotentialEmbedding, BlockNames.NoNonLinearity, true)]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.LinearPotentialEmbedding, BlockNames.NoNonLinearity, true)]
    [InlineData(BlockNames.ManyBodyUpdate, BlockNames.LinearPotentialEmbedding, BlockNames.NoNonLinearity, true)]
    [InlineData(BlockNames.ManyBodyUpdate, BlockNames.BiasedLinearPotentialEmbedding, BlockNames.NoNonLinearity, true)]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.BiasedLinearPotentialEmbedding, BlockNames.MLPNonLinearity, false)]
    [InlineData(BlockNames.ManyBodyUpdate, BlockNames.LinearPotentialEmbedding, BlockNames.MLPNonLinearity, false)]
    public void ChargeResponseIsConstantExactlyForUpdatesAffineInTheFeatures(string update, string embedding, string nonlinearity, bool affine)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(update, embedding, nonlinearity), 7);
        using var geometry = model.Prepare(FixedPointTestSystems.Molecule());
        Assert.Equal(affine, geometry.ChargeResponseIsConstant);
        random.manual_seed(3);
        var a = Response(geometry, geometry.LocalDensity, -0.3);
        var b = Response(geometry, geometry.LocalDensity + 0.3 * randn_like(geometry.LocalDensity), 1.7);
        double change = MaceTestSystems.MaxDiff(a, b) / MaceTestSystems.MaxAbs(a);
        output.WriteLine($"{update}/{embedding}/{nonlinearity}: max |g(p, μ) − g(p', μ')| / max |g| = {change:E2}");
        if (affine) Assert.True(change < 1e-12, $"{change}");
        else Assert.True(change > 1e-6, $"{change}");
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ScfWithWeightsComputedOnceEqualsScfDifferentiatingEveryUpdate(bool anderson)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var inputs = FixedPointTestSystems.Molecule() with { FermiLevel = tensor(new[] { 100.1 }, dtype: float64) };
        using var geometry = model.Prepare(inputs);
        var options = FixedPointTestSystems.TightScf() with { MixingParameter = 0.25, Mixer = anderson ? ScfMixer.Anderson : ScfMixer.Linear };
        var (p0, mu0, charge) = model.InitialState(geometry, inputs, options);
        Assert.True(geometry.ChargeResponseIsConstant);
        var once = ScfRunner.Run(geometry, options, p0, mu0, charge);
        var everyUpdate = ScfRunner.Run(new PerUpdateFukuiMap(geometry), options, p0, mu0, charge);
        output.WriteLine($"updates {once.Steps[0]} / {everyUpdate.Steps[0]}");
        Assert.True(once.AllConverged);
        // Linear mixing takes the same updates; Anderson mixing, whose progress is not monotone, may stop one update apart at a
        // tolerance of 1e-13 when the weights differ in the last bits.
        if (anderson) Assert.InRange(once.Steps[0] - everyUpdate.Steps[0], -1, 1);
        else Assert.Equal(everyUpdate.Steps, once.Steps);
        output.Report("max |p_once − p_every|", MaceTestSystems.MaxDiff(once.Density, everyUpdate.Density), 1e-12);
        output.Report("|μ_once − μ_every| (μ ≈ 100.6 V)", MaceTestSystems.MaxDiff(once.FermiLevel, everyUpdate.FermiLevel), 1e-10);
        // Unrolled with the graph (a short SCF): the same result and the same derivative with respect to the Fermi level and a weight.
        var shortOptions = options with { NumScfSteps = 6, ScfTolerance = 0 };
        var weight = model.named_parameters().First(n => n.name.StartsWith("update.element_select_out")).parameter;
        Tensor Gradient(IFixedPointMap map)
        {
            var mu = mu0.detach().requires_grad_(true);
            var result = ScfRunner.Run(map, shortOptions, p0.detach(), mu, charge, keepGraph: true);
            var loss = result.Density.square().sum() + result.FermiLevel.sum();
            var grads = autograd.grad([loss], [mu, weight], allow_unused: true);
            return cat([grads[0].flatten(), grads[1].flatten()]);
        }
        double gradientError = MaceTestSystems.MaxDiff(Gradient(geometry), Gradient(new PerUpdateFukuiMap(geometry)));
        output.Report("unrolled: max |∇_once − ∇_every|", gradientError, 1e-10);
    }
}
