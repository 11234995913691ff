using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// Schedule-free AdamW (Defazio et al. 2024, "The Road Less Scheduled", Algorithm 1 with the Adam preconditioner), as
/// `AdamWScheduleFree` with its defaults: eps 1e-8, no warmup, r = 0, weight_lr_power 2. Per parameter it keeps the base
/// sequence z, the average x (the evaluation point) and the second moment v; in train mode the parameters hold
/// y = (1 − β1) z + β1 x, in eval mode x. Step counter, lr_max and the weight sum are per group.
internal sealed class ScheduleFreeAdamW : ITrainingOptimizer
{
    private const double Eps = 1e-8;
    private const double WeightLrPower = 2.0;
    private const string FileName = "schedulefree.bin";

    private readonly Group[] _groups;
    private readonly double _beta1, _beta2;

    public ScheduleFreeAdamW(IReadOnlyList<ParameterGroup> groups, double lr, double beta1, double beta2)
    {
        _groups = groups.Select(g => new Group(g.Parameters, g.WeightDecay) { LearningRate = lr }).ToArray();
        (_beta1, _beta2) = (beta1, beta2);
    }

    public bool TrainMode { get; private set; } = true;

    public IReadOnlyList<double> LearningRates => _groups.Select(g => g.LearningRate).ToList();

    public void SetLearningRates(IReadOnlyList<double> rates)
    {
        foreach (var (group, rate) in _groups.Zip(rates)) group.LearningRate = rate;
    }

    /// The state of a parameter (null before its first step with a gradient).
    public (Tensor Z, Tensor X, Tensor V)? StateOf(Parameter parameter) =>
        _groups.SelectMany(g => g.Parameters.Zip(g.States)).FirstOrDefault(t => ReferenceEquals(t.First, parameter)).Second is { } s
            ? (s.Z, s.X, s.V) : null;

    public void ZeroGrad()
    {
        foreach (var p in _groups.SelectMany(g => g.Parameters)) p.grad?.zero_();
    }

    public void Step()
    {
        if (!TrainMode) throw new InvalidOperationException("schedule-free step outside train mode");
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var group in _groups)
        {
            int k = group.Steps + 1;
            double lr = group.LearningRate * Math.Sqrt(1 - Math.Pow(_beta2, k));
            group.LrMax = Math.Max(lr, group.LrMax);
            double weight = Math.Pow(group.LrMax, WeightLrPower);
            group.WeightSum += weight;
            double c = group.WeightSum == 0 ? 0 : weight / group.WeightSum;
            // The Scalars are held for the group's step (docs/design.md, "Scalars").
            using Scalar beta2 = _beta2.ToScalar(), oneMinusBeta2 = (1 - _beta2).ToScalar(), eps = Eps.ToScalar(),
                decay = group.WeightDecay.ToScalar(), minusLr = (-lr).ToScalar(), oneMinusC = (1 - c).ToScalar(), cScalar = c.ToScalar();
            for (int i = 0; i < group.Parameters.Count; i++)
            {
                var p = group.Parameters[i];
                if (p.grad is not { } g) continue;
                var s = group.States[i] ??= new State(p.detach().clone().DetachFromDisposeScope(), p.detach().clone().DetachFromDisposeScope(),
                    zeros_like(p).DetachFromDisposeScope());
                s.V.mul_(beta2).addcmul_(g, g, value: oneMinusBeta2);
                var u = g.div(s.V.sqrt().add_(eps, HeldScalars.One));
                if (group.WeightDecay != 0) u.add_(p, alpha: decay);
                // Eq. (Alg. 1): z_{t+1} = z_t − γ_t (g_t/√v_t + λ y_t); x_{t+1} = (1 − c_{t+1}) x_t + c_{t+1} z_{t+1}, c_{t+1} = w_t/Σw;
                // y_{t+1} = (1 − β1) z_{t+1} + β1 x_{t+1}.
                s.Z.add_(u, alpha: minusLr);
                s.X.mul_(oneMinusC).add_(s.Z, alpha: cScalar);
                p.copy_(Interpolate(s));
            }
            group.Steps = k;
        }
    }

    public void Train()
    {
        if (TrainMode) return;
        Assign(Interpolate);
        TrainMode = true;
    }

    public void Eval()
    {
        if (!TrainMode) return;
        Assign(s => s.X);
        TrainMode = false;
    }

    /// A frozen parameter is set to its average x and its state dropped, so train and eval mode no longer move it; if it
    /// is trained again later, its state restarts from that value.
    public void Freeze(IReadOnlyCollection<Parameter> frozen)
    {
        using var noGrad = no_grad();
        var set = frozen.ToHashSet(ReferenceEqualityComparer.Instance);
        foreach (var group in _groups)
            for (int i = 0; i < group.Parameters.Count; i++)
                if (group.States[i] is { } s && set.Contains(group.Parameters[i]))
                {
                    group.Parameters[i].copy_(s.X);
                    s.Dispose();
                    group.States[i] = null;
                }
    }

    public void Save(string folder)
    {
        using var writer = new BinaryWriter(File.Create(Path.Combine(folder, FileName)));
        writer.Write(TrainMode);
        foreach (var group in _groups)
        {
            writer.Write(group.Steps);
            writer.Write(group.LrMax);
            writer.Write(group.WeightSum);
            foreach (var s in group.States)
            {
                writer.Write(s is not null);
                if (s is null) continue;
                foreach (var t in new[] { s.Z, s.X, s.V })
                    foreach (double v in t.to_type(ScalarType.Float64).contiguous().data<double>()) writer.Write(v);
            }
        }
    }

    public void Load(string folder)
    {
        using var reader = new BinaryReader(File.OpenRead(Path.Combine(folder, FileName)));
        TrainMode = reader.ReadBoolean();
        foreach (var group in _groups)
        {
            group.Steps = reader.ReadInt32();
            group.LrMax = reader.ReadDouble();
            group.WeightSum = reader.ReadDouble();
            for (int i = 0; i < group.Parameters.Count; i++)
            {
                group.States[i]?.Dispose();
                var p = group.Parameters[i];
                group.States[i] = reader.ReadBoolean() ? new State(Read(reader, p), Read(reader, p), Read(reader, p)) : null;
            }
        }
    }

    public void Dispose()
    {
        foreach (var s in _groups.SelectMany(g => g.States)) s?.Dispose();
    }

    private static Tensor Read(BinaryReader reader, Parameter like)
    {
        var values = new double[like.numel()];
        for (int i = 0; i < values.Length; i++) values[i] = reader.ReadDouble();
        using var scope = NewDisposeScope();
        return tensor(values, dtype: ScalarType.Float64).view(like.shape).to_type(like.dtype).DetachFromDisposeScope();
    }

    private Tensor Interpolate(State s)
    {
        using Scalar oneMinusBeta1 = (1 - _beta1).ToScalar(), beta1 = _beta1.ToScalar();
        return s.Z.mul(oneMinusBeta1).add_(s.X, alpha: beta1);
    }

    private void Assign(Func<State, Tensor> value)
    {
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        foreach (var group in _groups)
            for (int i = 0; i < group.Parameters.Count; i++)
                if (group.States[i] is { } s) group.Parameters[i].copy_(value(s));
    }

    private sealed class Group(IReadOnlyList<Parameter> parameters, double weightDecay)
    {
        public IReadOnlyList<Parameter> Parameters { get; } = parameters;
        public double WeightDecay { get; } = weightDecay;
        public State?[] States { get; } = new State?[parameters.Count];
        public double LearningRate { get; set; }
        public int Steps { get; set; }
        public double LrMax { get; set; } = -1;
        public double WeightSum { get; set; }
    }

    private sealed record State(Tensor Z, Tensor X, Tensor V) : IDisposable
    {
        public void Dispose()
        {
            Z.Dispose();
            X.Dispose();
            V.Dispose();
        }
    }
}
