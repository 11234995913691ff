using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.Mace;
using MaceScf.Training;
using MaceScf.Tests.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Foundation;

/// The tensor-lifetime rule of docs/design.md ("Tensor lifetimes"): after a warm-up, 50 calculator evaluations and 5
/// training steps leave the number of live native tensors of this thread unchanged (TorchSharp's dispose-scope statistics).
public sealed class TensorLifetimeTests(ITestOutputHelper output)
{
    private static long Live() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;

    [Fact]
    public void FiftyCalculatorEvaluationsLeaveNoTensorsBehind()
    {
        using var model = FixedPointTestSystems.Damped(FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.MixedPeriodic), 41, 0.3);
        var calculator = new FixedPointCalculator(model, new ScfOptions { ConstantCharge = false, MixingParameter = 0.5 }, WarmStart.Last);
        var (positions, species) = MaceTestSystems.Molecule(5, 3);
        int[] numbers = species.Select(s => s == 0 ? 1 : 8).ToArray();
        var cell = new double[,] { { 9, 0, 0 }, { 0, 9, 0 }, { 0, 0, 9 } };
        Structure At(int step)
        {
            var moved = (double[,])positions.Clone();
            moved[0, 0] += 0.001 * step;
            return new Structure(new Configuration(numbers, moved, cell, [true, true, true]), TotalCharge: 0);
        }
        var all = CalculatorProperties.Energy | CalculatorProperties.Forces | CalculatorProperties.Stress;
        calculator.Calculate(At(0), all);
        long before = Live();
        for (int step = 1; step <= 50; step++) calculator.Calculate(At(step), all);
        long after = Live();
        output.WriteLine($"live tensors: {before} before, {after} after 50 evaluations");
        Assert.Equal(before, after);
    }

    [Fact]
    public void FiveTrainingStepsLeaveNoTensorsBehind()
    {
        using var run = new TrainingRunFixture(frames: 2, seed: 3);
        var config = run.Load(TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll, "--valid_file", run.TrainFile);
        var (sets, model) = run.Build(config);
        using var _ = model;
        var stage = config.Schedule.Stages[^1];
        var groups = ParameterGroups.Of(model, config.Optimizer);
        using var optimizer = ITrainingOptimizer.Create(groups, config.Optimizer);
        optimizer.SetLearningRates(groups.Select(g => stage.LrOf(g.Name)).ToList());
        optimizer.Train();
        void Step()
        {
            using var scope = NewDisposeScope();
            using var batch = TrainingBatch.Build(sets.Train, model, sets.Species);
            optimizer.ZeroGrad();
            var prediction = model.Predict(batch.Inputs, TrainingRequest.For(stage, forces: true, training: true));
            TrainingLoss.Compute(stage.Loss, prediction, batch).Total.backward();
            optimizer.Step();
        }
        Step();
        long before = Live();
        for (int k = 0; k < 5; k++) Step();
        long after = Live();
        output.WriteLine($"live tensors: {before} before, {after} after 5 training steps ({stage.FixedPointTrainingOptions.Mode})");
        Assert.Equal(before, after);
    }
}
