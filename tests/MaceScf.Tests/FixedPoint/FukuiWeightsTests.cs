using MaceScf.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using TorchSharp;
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

    /// The derivative of Σ p² + Σ μ after 5 unrolled updates (graph kept) with respect to the start μ and a weight of the update.
    private static Tensor UnrolledGradient(FixedPointModel model, IFixedPointMap map, ScfOptions options, Tensor p0, Tensor mu0, Tensor charge)
    {
        var weight = model.named_parameters().First(n => n.name.StartsWith("update.element_select_out")).parameter;
        var mu = mu0.detach().requires_grad_(true);
        var result = ScfRunner.Run(map, options with { NumScfSteps = 6, ScfTolerance = 0 }, p0.detach(), mu, charge, keepGraph: true);
        var loss = result.Density.Squared().sum().Plus(result.FermiLevel.sum());
        var grads = autograd.grad([loss], [mu, weight], allow_unused: true);
        return cat([grads[0].flatten(), grads[1].flatten()]);
    }

    private static Tensor Response(FixedPointGeometry geometry, Tensor density, double mu)
    {
        using var value = mu.ToScalar();
        var muNode = full(geometry.Batch.shape[0], value, dtype: float64).requires_grad_(true);
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
        var b = Response(geometry, geometry.LocalDensity.Plus(randn_like(geometry.LocalDensity).Times(0.3)), 1.7);
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
        double gradientError = MaceTestSystems.MaxDiff(UnrolledGradient(model, geometry, options, p0, mu0, charge),
            UnrolledGradient(model, new PerUpdateFukuiMap(geometry), options, p0, mu0, charge));
        output.Report("unrolled: max |∇_once − ∇_every|", gradientError, 1e-10);
    }

    /// <see cref="FixedPointGeometry.ChargeResponse"/> (one vector–Jacobian product of the update with respect to V̂, the field
    /// features evaluated without autograd) equals the derivative of a whole step with respect to μ (the interface's default),
    /// for non-affine one-body and many-body updates and an affine one; on the graph its derivatives with respect to the positions
    /// and a weight are the same too.
    [Theory]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.MLPNonLinearity)]
    [InlineData(BlockNames.ManyBodyUpdate, BlockNames.MLPNonLinearity)]
    [InlineData(BlockNames.OneBodyVariableUpdate, BlockNames.NoNonLinearity)]
    public void ChargeResponseThroughTheUpdateAloneEqualsTheDerivativeOfAWholeStep(string update, string nonlinearity)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(update, nonlinearity: nonlinearity), 7);
        var inputs = FixedPointTestSystems.Molecule();
        var positions = inputs.Graph.Positions.detach().clone().requires_grad_(true);
        using var geometry = model.Prepare(inputs.WithGeometry(positions, inputs.Graph.Cell));
        random.manual_seed(5);
        var p = geometry.LocalDensity.detach().Plus(randn_like(geometry.LocalDensity).Times(0.2));
        using var start = 0.7.ToScalar();
        var mu = full(geometry.Batch.shape[0], start, dtype: float64).Plus(randn(geometry.Batch.shape[0], dtype: float64).Times(0.1));
        IFixedPointMap whole = new PerUpdateFukuiMap(geometry);
        var (localUpdate, localResponse) = geometry.ChargeResponse(p, mu, createGraph: false);
        var (wholeUpdate, wholeResponse) = whole.ChargeResponse(p, mu, createGraph: false);
        output.Report("max |Δp_local − Δp_whole|", MaceTestSystems.MaxDiff(localUpdate, wholeUpdate), 1e-14);
        output.Report("max |g_local − g_whole| / max |g|", MaceTestSystems.MaxDiff(localResponse, wholeResponse) / MaceTestSystems.MaxAbs(wholeResponse), 1e-12);
        var weight = model.named_parameters().First(n => n.name.StartsWith("update.element_select_out")).parameter;
        Tensor Derivative(IFixedPointMap map)
        {
            var (_, g) = map.ChargeResponse(p, mu, createGraph: true);
            var grads = autograd.grad([g.Squared().sum()], [positions, weight], retain_graph: true, allow_unused: true);
            return cat([grads[0].flatten(), grads[1].flatten()]);
        }
        var expected = Derivative(whole);
        output.Report("on the graph: max |∇Σg²_local − ∇Σg²_whole| / max", MaceTestSystems.MaxDiff(Derivative(geometry), expected) / MaceTestSystems.MaxAbs(expected), 1e-12);
    }

    /// The constant-charge SCF of a non-affine update, whose charge response is computed at every update through the update alone,
    /// equals the SCF differentiating whole steps: the same updates, density and μ, and (unrolled) the same gradient.
    [Fact]
    public void ScfOfANonAffineUpdateEqualsTheScfDifferentiatingWholeSteps()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(nonlinearity: BlockNames.MLPNonLinearity), 7);
        var inputs = FixedPointTestSystems.Molecule();
        using var geometry = model.Prepare(inputs);
        var options = FixedPointTestSystems.TightScf() with { MixingParameter = 0.25 };
        var (p0, mu0, charge) = model.InitialState(geometry, inputs, options);
        Assert.False(geometry.ChargeResponseIsConstant);
        var local = ScfRunner.Run(geometry, options, p0, mu0, charge);
        var whole = ScfRunner.Run(new PerUpdateFukuiMap(geometry), options, p0, mu0, charge);
        output.WriteLine($"updates {local.Steps[0]} / {whole.Steps[0]}");
        Assert.True(local.AllConverged);
        Assert.Equal(whole.Steps, local.Steps);
        output.Report("max |p_local − p_whole|", MaceTestSystems.MaxDiff(local.Density, whole.Density), 1e-12);
        output.Report("|μ_local − μ_whole| (V)", MaceTestSystems.MaxDiff(local.FermiLevel, whole.FermiLevel), 1e-12);
        output.Report("|Q − Q_target| (e)", Math.Abs(local.Density[.., 0].sum().item<double>() - charge.sum().item<double>()), 1e-12);
        var expected = UnrolledGradient(model, new PerUpdateFukuiMap(geometry), options, p0, mu0, charge);
        output.Report("unrolled: max |∇_local − ∇_whole| / max",
            MaceTestSystems.MaxDiff(UnrolledGradient(model, geometry, options, p0, mu0, charge), expected) / MaceTestSystems.MaxAbs(expected), 1e-10);
    }
}
