using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// The optimiser as the trainer drives it: one lr per parameter group (in `ParameterGroups.Of` order), a step, and the
/// schedule-free train/eval switch (a no-op for Adam and AdamW). Its state is saved to and loaded from a checkpoint folder.
internal interface ITrainingOptimizer : IDisposable
{
    IReadOnlyList<double> LearningRates { get; }

    void SetLearningRates(IReadOnlyList<double> rates);

    void ZeroGrad();

    void Step();

    /// Puts the training point into the parameters (before a training epoch).
    void Train();

    /// Puts the evaluation point into the parameters (before validation, checkpoints and the final save).
    void Eval();

    /// Forgets what would still move the frozen parameters (<see cref="FrozenParameters"/>); a parameter without a gradient
    /// is not stepped.
    void Freeze(IReadOnlyCollection<Parameter> frozen);

    void Save(string folder);

    void Load(string folder);

    static ITrainingOptimizer Create(IReadOnlyList<ParameterGroup> groups, OptimizerOptions o) => o.Optimizer switch
    {
        OptimizerKind.Adam => new TorchOptimizer(optim.Adam(groups.Select(g => new Adam.ParamGroup(g.Parameters,
            new Adam.Options { LearningRate = o.Lr, beta1 = o.Beta, beta2 = o.BetaTwo, weight_decay = g.WeightDecay, amsgrad = o.Amsgrad })),
            o.Lr, o.Beta, o.BetaTwo, amsgrad: o.Amsgrad)),
        OptimizerKind.Adamw => new TorchOptimizer(optim.AdamW(groups.Select(g => new AdamW.ParamGroup(g.Parameters,
            new AdamW.Options { LearningRate = o.Lr, beta1 = o.Beta, beta2 = o.BetaTwo, weight_decay = g.WeightDecay, amsgrad = o.Amsgrad })),
            o.Lr, o.Beta, o.BetaTwo, amsgrad: o.Amsgrad)),
        _ => new ScheduleFreeAdamW(groups, o.Lr, o.Beta, o.BetaTwo),
    };
}

/// Adam or AdamW from TorchSharp: its parameter groups, its state and the checkpoint's `optimizer.pt` are TorchSharp's. The
/// step is ours: TorchSharp's step makes Scalars of its numbers that a garbage collection can free while libtorch reads them
/// (docs/design.md, "Scalars"), so this one makes the same libtorch calls in the same order on the same state, with the
/// Scalars held until each call returns, and gives the same bits.
internal sealed class TorchOptimizer(OptimizerHelper optimizer) : ITrainingOptimizer
{
    public IReadOnlyList<double> LearningRates => optimizer.ParamGroups.Select(g => g.LearningRate).ToList();

    public void SetLearningRates(IReadOnlyList<double> rates)
    {
        foreach (var (group, rate) in optimizer.ParamGroups.Zip(rates)) group.LearningRate = rate;
    }

    public void ZeroGrad() => optimizer.zero_grad();

    public void Step()
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var states = optimizer.state_dict().State;
        int index = 0;
        foreach (var group in optimizer.ParamGroups.Cast<ParamGroup>())
            foreach (var p in group.Parameters)
            {
                var state = states[index++];
                if (p.grad is not { } grad) continue;
                if (state is Adam.State adam) AdamStep((Adam.Options)group.Options, p, grad, adam);
                else AdamWStep((AdamW.Options)group.Options, p, grad, (AdamW.State)state);
            }
    }

    /// TorchSharp's Adam step: the weight decay added to the gradient.
    static void AdamStep(Adam.Options o, Parameter p, Tensor grad, Adam.State s)
    {
        double beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, decay = o.weight_decay!.Value, lr = o.LearningRate!.Value;
        s.step++;
        double correction1 = 1.0 - Math.Pow(beta1, s.step), correction2 = 1.0 - Math.Pow(beta2, s.step);
        using Scalar b1 = beta1.ToScalar(), b2 = beta2.ToScalar(), rest1 = (1.0 - beta1).ToScalar(), rest2 = (1.0 - beta2).ToScalar(),
            eps = o.eps!.Value.ToScalar(), step = (0.0 - lr / correction1).ToScalar();
        if (decay != 0.0)
        {
            using var d = decay.ToScalar();
            grad = grad.add(p, d);
        }
        s.exp_avg.mul_(b1).add_(grad, rest1);
        s.exp_avg_sq.mul_(b2).addcmul_(grad, grad.conj(), rest2);
        p.addcdiv_(s.exp_avg, Denominator(o.amsgrad!.Value, s.exp_avg_sq, ref s.max_exp_avg_sq, correction2, eps), step);
    }

    /// TorchSharp's AdamW step: the weight decay applied to the parameter.
    static void AdamWStep(AdamW.Options o, Parameter p, Tensor grad, AdamW.State s)
    {
        double beta1 = o.beta1!.Value, beta2 = o.beta2!.Value, decay = o.weight_decay!.Value, lr = o.LearningRate!.Value;
        s.step++;
        using Scalar shrink = (1.0 - lr * decay).ToScalar(), b1 = beta1.ToScalar(), b2 = beta2.ToScalar(),
            rest1 = (1.0 - beta1).ToScalar(), rest2 = (1.0 - beta2).ToScalar(), eps = o.eps!.Value.ToScalar();
        p.mul_(shrink);
        double correction1 = 1.0 - Math.Pow(beta1, s.step), correction2 = 1.0 - Math.Pow(beta2, s.step);
        using var step = (0.0 - lr / correction1).ToScalar();
        s.exp_avg.mul_(b1).add_(grad, rest1);
        s.exp_avg_sq.mul_(b2).addcmul_(grad, grad, rest2);
        p.addcdiv_(s.exp_avg, Denominator(o.amsgrad!.Value, s.exp_avg_sq, ref s.max_exp_avg_sq, correction2, eps), step);
    }

    /// √v̂ / √(1 − β2^t) + ε, v̂ the running maximum of v under amsgrad.
    static Tensor Denominator(bool amsgrad, Tensor secondMoment, ref Tensor maximum, double correction2, Scalar eps)
    {
        if (amsgrad)
        {
            var previous = maximum;
            maximum = torch.maximum(previous, secondMoment).DetachFromDisposeScope();
            previous.Dispose();
            secondMoment = maximum;
        }
        return secondMoment.sqrt().DividedBy(Math.Sqrt(correction2)).add_(eps, HeldScalars.One);
    }

    public void Train() { }

    public void Eval() { }

    /// Adam and AdamW skip a parameter without a gradient (its moments wait for it).
    public void Freeze(IReadOnlyCollection<Parameter> frozen) { }

    public void Save(string folder) => optimizer.save_state_dict(Path.Combine(folder, "optimizer.pt"));

    public void Load(string folder) => optimizer.load_state_dict(Path.Combine(folder, "optimizer.pt"));

    public void Dispose() => optimizer.Dispose();
}
