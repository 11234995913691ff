using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Models;
using MaceScf.Tests.Training;
using MaceScf.Training;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The Jacobian of the linearised solve built per atom for a one-body update (<see cref="OneBodyJacobian"/>) is the Jacobian of the
/// whole map (<see cref="BlockJacobian"/>) entry by entry and in its parameter derivatives; the Newton step J⁻¹R built with it
/// equals the whole map's in value, parameter and position derivatives and their mixed second derivative (what a force loss
/// takes); and the loss and parameter gradient of a training step with forces through linearize_solve are the same. On a batch
/// of three frames of different sizes, at constant charge and at constant Fermi level, with an affine and a non-linear update.
public sealed class OneBodyJacobianTests(ITestOutputHelper output)
{
    static readonly LossTerm[] Loss =
        [new("atomic_multipoles", 100.0, []), new("energy_per_atom", 10.0, []), new("dipole_per_atom", 100.0, []), new("forces", 1.0, [])];

    /// Three water clusters of 9, 12 and 15 atoms (144 unknowns, + 3 Fermi levels at constant charge).
    static LabelledConfiguration[] Frames(TrainingSets sets) =>
        sets.Train.GroupBy(f => f.Configuration.Positions.Length).OrderBy(g => g.Key).Select(g => g.First()).Take(3).ToArray();

    [Theory]
    [InlineData(true, BlockNames.NoNonLinearity)]
    [InlineData(false, BlockNames.NoNonLinearity)]
    [InlineData(true, BlockNames.MLPNonLinearity)]
    public void JacobianAndStepEqualThoseOfTheWholeMapInValueAndDerivatives(bool constantCharge, string nonlinearity)
    {
        using var run = new TrainingRunFixture(frames: 12, seed: 3);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll
            + $"fixedpoint_update_config: {{type: OneBodyVariableUpdate, nonlinearity_cls: {nonlinearity}}}\n", "--valid_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        using var scope = NewDisposeScope();
        var frames = Frames(sets);
        Assert.Equal(3, frames.Select(f => f.Configuration.Positions.Length).Distinct().Count());
        using var batch = TrainingBatch.Build(frames, model, sets.Species);
        var positions = batch.Inputs.Graph.Positions.detach().clone().requires_grad_(true);
        using var geometry = model.Prepare(batch.Inputs.WithGeometry(positions, batch.Inputs.Graph.Cell));
        Assert.True(geometry.UpdateIsOneBody);
        long n = geometry.LocalDensity.shape[0], k = geometry.LocalDensity.shape[1];
        int g = geometry.NumGraphs;
        random.manual_seed(5);
        var fermi = tensor(new[] { 0.4, -0.2, 1.1 }, dtype: float64);
        var regions = constantCharge ? FermiRegions.Whole(geometry.Batch, tensor(new[] { 0.0, 1.0, -1.0 }, dtype: float64)) : null;
        var density = geometry.LocalDensity.detach().Plus(randn(n, k, dtype: float64).Times(0.1));
        var y = (constantCharge ? cat([density.flatten(), fermi]) : density.flatten()).requires_grad_(true);
        var atoms = geometry.Batch.data<long>().ToArray();
        var blocks = atoms.SelectMany(a => Enumerable.Repeat(a, (int)k)).Concat(constantCharge ? Enumerable.Range(0, g).Select(m => (long)m) : []).ToArray();

        var residual = LinearizedSolution.Residual(geometry, y, n, k, fermi, regions);
        var reference = BlockJacobian.Of(residual, y, blocks, createGraph: true);
        var jacobian = OneBodyJacobian.Jacobian(geometry, y, n, k, fermi, regions, blocks, createGraph: true);
        double value = (jacobian - reference).abs().max().item<double>() / reference.abs().max().item<double>();
        var parameters = model.parameters().Where(p => p.requires_grad).ToArray();
        var weights = randn_like(reference);
        double jacobianParameters = Difference(Derivatives((weights * reference).sum(), parameters), Derivatives((weights * jacobian).sum(), parameters));

        // The Newton step J⁻¹R (the linearised solve) contracted with w, its gradient with respect to parameters and positions,
        // and the parameter gradient of its position gradient contracted again (the shape of a force loss).
        var w = randn_like(y);
        var directions = randn_like(positions);
        double[] StepDerivatives(bool mapProducts)
        {
            var step = LinearizedSolution.DenseStep(geometry, residual, y, n, k, fermi, regions, differentiableJacobian: true, mapProducts);
            var contraction = (w * step).sum();
            var first = Gradients.Of([contraction], [.. parameters, positions], retainGraph: true, createGraph: true, allowUnused: true);
            var mixed = Gradients.Of([(first[^1] * directions).sum()], parameters, retainGraph: true, allowUnused: true);
            return [contraction.item<double>(), .. Flatten(first, [.. parameters, positions]), .. Flatten(mixed, parameters)];
        }
        double step = Difference(StepDerivatives(mapProducts: true), StepDerivatives(mapProducts: false));
        output.WriteLine($"{n} atoms, {y.shape[0]} unknowns: J {value:E2}, ∂J/∂θ {jacobianParameters:E2}; step with derivatives {step:E2} (relative)");
        Assert.True(value < 1e-12, $"J: {value}");
        Assert.True(jacobianParameters < 1e-12, $"∂J/∂θ: {jacobianParameters}");
        Assert.True(step < 1e-12, $"step: {step}");
    }

    static double[] Derivatives(Tensor scalar, Tensor[] parameters) =>
        Flatten(Gradients.Of([scalar], parameters, retainGraph: true, allowUnused: true), parameters);

    static double[] Flatten(IList<Tensor> gradients, Tensor[] like) =>
        gradients.Zip(like).SelectMany(t => (t.First ?? zeros_like(t.Second)).detach().contiguous().data<double>().ToArray()).ToArray();

    /// ‖a − b‖ / ‖a‖, asserting that a is not negligible.
    static double Difference(double[] a, double[] b)
    {
        double norm = Math.Sqrt(a.Sum(x => x * x));
        Assert.True(norm > 1e-3, $"norm {norm}");
        return Math.Sqrt(a.Zip(b).Sum(t => (t.First - t.Second) * (t.First - t.Second))) / norm;
    }

    /// Measured: the gradients agree to ~1e-15 relative (constant charge and constant Fermi level).
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void LinearizeSolveGradientsWithAForceLossEqualThoseOfTheWholeMapJacobian(bool constantCharge)
    {
        using var run = new TrainingRunFixture(frames: 12, seed: 3);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--valid_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        var frames = Frames(sets);
        if (constantCharge)
            using (no_grad())
            using (var scale = 20.0.ToScalar())
                foreach (var (name, p) in model.named_parameters())
                    if (name.StartsWith("update.element_select_out")) p.mul_(scale); // a strong charge response: the SCF converges
        var parameters = model.parameters().ToArray();

        (double Loss, double[] Gradient, ForcesDerivation? Derivation) LossAndGradient(bool mapProducts)
        {
            using var scope = NewDisposeScope();
            using var batch = TrainingBatch.Build(frames, model, sets.Species);
            var outputs = model.Predict(batch.Inputs, new PredictionRequest
            {
                Forces = true, CreateGraph = true, Training = true, Method = SolutionMethod.LinearizeSolve, MapProductJacobian = mapProducts,
                Scf = new ScfOptions { NumScfSteps = 300, ScfTolerance = 1e-11, MixingParameter = 0.5, ConstantCharge = constantCharge },
            });
            Assert.True(outputs.Scf!.AllConverged, $"SCF steps {string.Join(", ", outputs.Scf.Steps)}");
            var loss = TrainingLoss.Compute(Loss, outputs, batch).Total;
            var grads = autograd.grad([loss], parameters, allow_unused: true);
            return (loss.item<double>(), grads.Zip(parameters).SelectMany(t => (t.First ?? zeros_like(t.Second)).contiguous().data<double>().ToArray()).ToArray(),
                outputs.Derivation);
        }

        var wholeMap = LossAndGradient(mapProducts: true);
        var oneBody = LossAndGradient(mapProducts: false);
        Assert.Equal(ForcesMethod.Implicit, wholeMap.Derivation!.Method);
        Assert.Equal(ForcesMethod.Implicit, oneBody.Derivation!.Method);
        double norm = Math.Sqrt(wholeMap.Gradient.Sum(x => x * x));
        double difference = Math.Sqrt(wholeMap.Gradient.Zip(oneBody.Gradient).Sum(t => (t.First - t.Second) * (t.First - t.Second))) / norm;
        output.WriteLine($"loss {wholeMap.Loss} vs {oneBody.Loss}; gradient norm {norm:E3}, relative difference {difference:E2}");
        Assert.True(norm > 1e-3, $"gradient norm {norm}");
        Assert.Equal(wholeMap.Loss, oneBody.Loss, 1e-12 * Math.Abs(wholeMap.Loss));
        Assert.True(difference < 1e-12, $"gradient: {difference}");
    }
}
