using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Training;

/// EMA of the parameters (docs/training.md, "Optimiser, lr and EMA"): after every optimiser step shadow −= (1 − d)(shadow − θ) with the warm-up decay
/// d = min(decay, (1 + n)/(10 + n)); evaluation and the saved model use the shadow, swapped in and out.
internal sealed class ExponentialMovingAverage : IDisposable
{
    private readonly Parameter[] _parameters;
    private readonly Tensor[] _shadow;
    private HashSet<int> _frozen = [];

    public ExponentialMovingAverage(IEnumerable<Parameter> parameters, double decay)
    {
        _parameters = parameters.ToArray();
        _shadow = _parameters.Select(p => p.detach().clone()).ToArray();
        Decay = decay;
    }

    public double Decay { get; }

    /// Updates so far (n).
    public long Updates { get; private set; }

    public IReadOnlyList<Tensor> Shadow => _shadow;

    public void Update()
    {
        double d = Math.Min(Decay, (1.0 + Updates) / (10.0 + Updates));
        Updates++;
        using var noGrad = no_grad();
        for (int i = 0; i < _parameters.Length; i++)
            if (!_frozen.Contains(i)) _shadow[i].sub_((_shadow[i] - _parameters[i]).Times(1 - d));
    }

    /// The parameters whose average the updates leave alone (<see cref="FrozenParameters"/>), replacing the previous set.
    public void Freeze(IReadOnlyCollection<Parameter> frozen)
    {
        var set = frozen.ToHashSet(ReferenceEqualityComparer.Instance);
        _frozen = Enumerable.Range(0, _parameters.Length).Where(i => set.Contains(_parameters[i])).ToHashSet();
    }

    /// Restores a saved state (checkpoint restart).
    public void Load(IReadOnlyList<Tensor> shadow, long updates)
    {
        using var noGrad = no_grad();
        for (int i = 0; i < _shadow.Length; i++) _shadow[i].copy_(shadow[i]);
        Updates = updates;
    }

    /// Swaps shadow and parameters; call again to swap back.
    public void Swap()
    {
        using var noGrad = no_grad();
        foreach (var (p, s) in _parameters.Zip(_shadow))
        {
            using var copy = p.detach().clone();
            p.copy_(s);
            s.copy_(copy);
        }
    }

    public void Dispose()
    {
        foreach (var s in _shadow) s.Dispose();
    }
}
