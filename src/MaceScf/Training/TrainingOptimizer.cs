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

/// Adam or AdamW from TorchSharp; its state is the checkpoint's `optimizer.pt`.
internal sealed class TorchOptimizer(OptimizerHelper optimizer) : ITrainingOptimizer
{
    public IReadOnlyList<double> LearningRates => optimizer.ParamGroups.Select(g => g.LearningRate).ToList();

    public void SetLearningRates(IReadOnlyList<double> rates)
    {
        foreach (var (group, rate) in optimizer.ParamGroups.Zip(rates)) group.LearningRate = rate;
    }

    public void ZeroGrad() => optimizer.zero_grad();

    public void Step() => optimizer.step();

    public void Train() { }

    public void Eval() { }

    /// Adam and AdamW skip a parameter without a gradient (its moments wait for it).
    public void Freeze(IReadOnlyCollection<Parameter> frozen) { }

    public void Save(string folder) => optimizer.save_state_dict(Path.Combine(folder, "optimizer.pt"));

    public void Load(string folder) => optimizer.load_state_dict(Path.Combine(folder, "optimizer.pt"));

    public void Dispose() => optimizer.Dispose();
}
