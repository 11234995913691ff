using MaceScf.Training;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

/// Adam and AdamW keep TorchSharp's parameter groups and state but step with Scalars the code holds (docs/design.md,
/// "Scalars"): the same libtorch calls in the same order as TorchSharp's own step, so the same bits.
public sealed class TorchOptimizerTests
{
    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void Steps_equal_TorchSharps_own_steps_bit_for_bit(bool decoupled, bool amsgrad)
    {
        using var scope = NewDisposeScope();
        var (ours, oursParameters) = Optimizer(decoupled, amsgrad);
        var (theirs, theirsParameters) = Optimizer(decoupled, amsgrad);
        using var held = new TorchOptimizer(ours);
        for (int t = 1; t <= 6; t++)
        {
            double lr = t < 4 ? 0.01 : 0.03;
            held.SetLearningRates([lr, lr / 2]);
            foreach (var g in theirs.ParamGroups) g.LearningRate = g == theirs.ParamGroups.First() ? lr : lr / 2;
            held.ZeroGrad();
            theirs.zero_grad();
            Loss(oursParameters, t).backward();
            Loss(theirsParameters, t).backward();
            held.Step();
#pragma warning disable RS0030 // the reference this test compares against: TorchSharp's own step, with its temporary Scalars
            theirs.step();
#pragma warning restore RS0030
        }
        foreach (var (a, b) in oursParameters.Zip(theirsParameters))
            Assert.Equal(b.data<double>().ToArray(), a.data<double>().ToArray());
        Assert.True(oursParameters.Any(p => !p.equal(Start(p.shape[0])).all().item<bool>()));
    }

    /// Two groups (weight decay 0.1 and 0) of two parameters each; the last parameter gets no gradient.
    static (OptimizerHelper Optimizer, Parameter[] Parameters) Optimizer(bool decoupled, bool amsgrad)
    {
        var parameters = new[] { 3, 2, 4, 1 }.Select(n => new Parameter(Start(n))).ToArray();
        var groups = new[] { (Decay: 0.1, Parameters: parameters[..2]), (Decay: 0.0, Parameters: parameters[2..]) };
        OptimizerHelper optimizer = decoupled
            ? optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters,
                new AdamW.Options { LearningRate = 0.01, beta1 = 0.9, beta2 = 0.999, weight_decay = g.Decay, amsgrad = amsgrad })),
                0.01, 0.9, 0.999, amsgrad: amsgrad)
            : optim.Adam(groups.Select(g => new Adam.ParamGroup(g.Parameters,
                new Adam.Options { LearningRate = 0.01, beta1 = 0.9, beta2 = 0.999, weight_decay = g.Decay, amsgrad = amsgrad })),
                0.01, 0.9, 0.999, amsgrad: amsgrad);
        return (optimizer, parameters);
    }

    static Tensor Start(long n) => linspace(-0.7, 0.9, n, dtype: ScalarType.Float64);

    /// A loss whose gradient changes with the step, on all parameters but the last.
    static Tensor Loss(Parameter[] p, int t) =>
        ((p[0].Minus(0.1 * t)).Squared().sum().Plus((p[1] * p[1].sin()).sum().Times(t)).Plus((p[2].exp().Minus(1.0)).Squared().sum())).Times(0.5);
}
