using MaceScf.Models;
using MaceScf.FixedPoint;
using MaceScf.Training;
using LinearizedSolution = MaceScf.FixedPoint.LinearizedSolution;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

/// At a converged SCF, at constant Fermi level and at constant total charge (unknowns ρ and μ), implicit differentiation,
/// the linearised solve and a long unroll give the same parameter gradient, and it is the derivative of the converged loss
/// (finite differences).
public sealed class ImplicitGradientTests
{
    static readonly LossTerm[] Loss = [new("atomic_multipoles", 100.0, []), new("energy_per_atom", 10.0, []), new("dipole_per_atom", 100.0, [])];

    static FixedPointTrainingOptions Options(TrainingMode mode, bool constantCharge, int steps) => new(mode,
        new ScfOptions { NumScfSteps = steps, ScfTolerance = 1e-13, MixingParameter = 0.5, ConstantCharge = constantCharge }, LinearSolve.Inverse, false);

    /// At constant charge the untrained tiny model's update output weights are multiplied by this, so its charge response to
    /// μ is 20× stronger: the constant-charge SCF (α = 0.5, tolerance 1e-13) then converges in 75 updates (with the raw
    /// weights it does not converge in 199; 5× → 195 updates, 10× → 115). μ* ≈ 33 V for this untrained model.
    const double ConstantChargeResponseScale = 20.0;

    /// Measured at constant charge (no forces): implicit vs linearize_solve 1.1e-13, implicit vs 200-step unroll 1.6e-11
    /// (relative), loss equal to 4e-12; central difference of the converged loss along the gradient 9.3e-8 relative to
    /// |∇L| = 60.5.
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Implicit_linearize_solve_and_a_long_unroll_agree_with_finite_differences(bool constantCharge, bool withForces)
    {
        using var run = new TrainingRunFixture(frames: 2, seed: 3);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--valid_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        var frames = sets.Train.Take(1).ToArray();
        var parameters = model.parameters().ToArray();
        if (constantCharge)
            using (no_grad())
            using (var scale = ConstantChargeResponseScale.ToScalar())
                foreach (var (name, p) in model.named_parameters())
                    if (name.StartsWith("update.element_select_out")) p.mul_(scale);

        (double Loss, double[] Gradient) LossAndGradient(TrainingMode mode, int steps, int denseLimit = LinearizedSolution.DenseLimit)
        {
            using var scope = NewDisposeScope();
            using var batch = TrainingBatch.Build(frames, model, sets.Species);
            var options = Options(mode, constantCharge, steps);
            var outputs = model.Predict(batch.Inputs, new PredictionRequest
            {
                Forces = withForces, CreateGraph = withForces, Training = true, Method = TrainingRequest.Method(options.Mode), Scf = options.Scf!,
                FallbackStepLimit = TrainingRequest.FallbackSteps, DenseJacobianLimit = denseLimit,
            });
            Assert.False(outputs.Derivation?.FellBack ?? false);
            Assert.True(outputs.Scf!.AllConverged || steps < 10, $"{mode}: {outputs.Scf.Steps[0]} steps");
            if (constantCharge && steps >= 10)
                Assert.Equal(frames[0].TotalCharge.Value, outputs.TotalCharge.item<double>(), 1e-10);
            var loss = TrainingLoss.Compute(withForces ? [.. Loss, new LossTerm("forces", 1.0, [])] : Loss, outputs, batch).Total;
            var grads = autograd.grad([loss], parameters, allow_unused: true);
            return (loss.item<double>(), grads.Zip(parameters).SelectMany(t => (t.First ?? zeros_like(t.Second)).contiguous().data<double>().ToArray()).ToArray());
        }

        var implicitResult = LossAndGradient(TrainingMode.Implicit, 200);
        var linearized = LossAndGradient(TrainingMode.LinearizeSolve, 200);
        var unrolled = LossAndGradient(TrainingMode.UnrollScf, 200);
        double norm = Norm(implicitResult.Gradient);
        Assert.True(norm > 1e-3, $"gradient norm {norm}");
        Assert.True(Norm(Difference(implicitResult.Gradient, linearized.Gradient)) <= 1e-6 * norm, "implicit vs linearize_solve");
        Assert.True(Norm(Difference(implicitResult.Gradient, unrolled.Gradient)) <= 1e-6 * norm, "implicit vs unroll");
        Assert.Equal(implicitResult.Loss, unrolled.Loss, 9);
        if (!withForces)
        {
            // Matrix-free: GMRES with Jacobian–vector products forward, the adjoint solve with vector–Jacobian products backward.
            var krylov = LossAndGradient(TrainingMode.Implicit, 200, denseLimit: 0);
            Assert.True(Norm(Difference(implicitResult.Gradient, krylov.Gradient)) <= 1e-6 * norm, "implicit dense vs GMRES");
        }
        // The SCF response matters: an unconverged 3-step unroll gives a visibly different gradient.
        var shortUnroll = LossAndGradient(TrainingMode.UnrollScf, 3);
        Assert.True(Norm(Difference(implicitResult.Gradient, shortUnroll.Gradient)) > 1e-4 * norm, "short unroll");

        // Central difference of the converged loss along the gradient direction.
        var direction = implicitResult.Gradient.Select(g => g / norm).ToArray();
        const double h = 1e-4;
        double Shifted(double s)
        {
            Shift(parameters, direction, s);
            double value = LossAndGradient(TrainingMode.Implicit, 200).Loss;
            Shift(parameters, direction, -s);
            return value;
        }
        double finiteDifference = (Shifted(h) - Shifted(-h)) / (2 * h);
        Assert.True(Math.Abs(finiteDifference - norm) <= 1e-5 * norm, $"finite difference {finiteDifference} vs |∇L| {norm}");
    }

    static void Shift(TorchSharp.Modules.Parameter[] parameters, double[] direction, double step)
    {
        using var noGrad = no_grad();
        int offset = 0;
        foreach (var p in parameters)
        {
            int n = (int)p.numel();
            p.add_(tensor(direction[offset..(offset + n)], dtype: p.dtype).view(p.shape).Times(step), HeldScalars.One);
            offset += n;
        }
    }

    static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));

    static double[] Difference(double[] a, double[] b) => a.Zip(b, (x, y) => x - y).ToArray();
}
