using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// Anderson/Pulay (DIIS) acceleration of the SCF's linear-mixing iteration y ← G(y), each structure of a batch on its own
/// (docs/fixed-point.md, "Anderson mixing"). y is the density p [N, K], G(y) the linear step (at constant charge the projected
/// mixed density; μ takes its own Newton step) and f = G(y) − y its residual. From the last m + 1 iterates
/// (m = anderson_depth), per structure γ = argmin ‖f_t − ΔF γ‖ and y_{t+1} = G(y_t) − ΔG γ, where ΔF, ΔG hold the differences
/// of consecutive residuals and images (type II Anderson, no extra damping: G already mixes with α). The result is an affine
/// combination of images G(y_i), so a charge every image holds is held exactly, and a fixed point of G is one of the mixer.
/// Safeguards: a structure whose ‖f‖ grows above <see cref="RestartGrowth"/> × its smallest since the last restart, or whose
/// coefficients exceed <see cref="MaxCoefficient"/>, restarts (forgets its history, so its next step is the linear one);
/// after <see cref="MaxRestarts"/> restarts it stays with linear mixing. All operations are differentiable (unrolled
/// training with Anderson mixing); the restart decisions are not (they are discrete).
internal sealed class AndersonMixer(IFixedPointMap map, int depth) : IDisposable
{
    /// Restart when ‖f‖ exceeds this multiple of the smallest ‖f‖ since the last restart.
    public const double RestartGrowth = 10.0;

    /// Restart when a least-squares coefficient |γ_j| exceeds this (an ill-conditioned history).
    public const double MaxCoefficient = 1e3;

    /// Restarts after which a structure keeps linear mixing for the rest of the SCF.
    public const int MaxRestarts = 5;

    /// Tikhonov term of the least-squares problem, relative to the largest diagonal of its Gram matrix.
    private const double Regularisation = 1e-12;

    private readonly List<Iterate> _iterates = [];
    private readonly int[] _start = new int[map.NumGraphs];
    private readonly double[] _best = Enumerable.Repeat(double.PositiveInfinity, map.NumGraphs).ToArray();
    private readonly int[] _restarts = new int[map.NumGraphs];
    private int _count;

    /// The mixer of <paramref name="options"/>, or null for linear mixing.
    public static AndersonMixer? Create(IFixedPointMap map, ScfOptions options) =>
        options.Mixer == ScfMixer.Anderson ? new AndersonMixer(map, options.AndersonDepth) : null;

    /// The next density from the current one, <paramref name="density"/> [N, K], and its image under the linear step,
    /// <paramref name="mapped"/>.
    public Tensor Next(Tensor density, Tensor mapped)
    {
        using var scope = NewDisposeScope();
        Remember(new Iterate(density, mapped));
        var current = _iterates[^1];
        CheckGrowth(current);
        int m = _iterates.Count - 1;
        if (m == 0) return mapped.alias().MoveToOuterDisposeScope();
        var dF = stack(Enumerable.Range(0, m).Select(j => _iterates[j + 1].Residual - _iterates[j].Residual), 1);         // [N, m, K]
        var dG = stack(Enumerable.Range(0, m).Select(j => _iterates[j + 1].Mapped - _iterates[j].Mapped), 1);             // [N, m, K]
        var gram = PerStructure(dF.bmm(dF.transpose(1, 2)));                                                                 // [G, m, m]
        var rhs = PerStructure(dF.bmm(current.Residual.unsqueeze(2))).squeeze(2);                                            // [G, m]
        var usable = Usable(m, density.dtype);                                                                               // [G, m]
        var pair = usable.unsqueeze(2) * usable.unsqueeze(1);
        var diagonal = gram.diagonal(0, 1, 2) * usable;
        var ridge = diagonal.amax(1).detach().Times(Regularisation).Plus(1e-300);
        var system = (gram * pair).Plus(torch.diag_embed(usable.neg().Plus(1).Plus(ridge.unsqueeze(1))));
        var gamma = linalg.solve(system, (rhs * usable).unsqueeze(2)).squeeze(2);                                           // [G, m]
        gamma = gamma * CheckCoefficients(gamma);
        return (mapped - gamma.index_select(0, map.Batch).unsqueeze(1).bmm(dG).squeeze(1)).MoveToOuterDisposeScope();
    }

    /// Keeps the last depth + 1 iterates, outside every dispose scope.
    private void Remember(Iterate iterate)
    {
        iterate.DetachFromDisposeScope();
        _iterates.Add(iterate);
        _count++;
        if (_iterates.Count <= depth + 1) return;
        _iterates[0].Dispose();
        _iterates.RemoveAt(0);
    }

    /// [N, ...] per-atom values summed over each structure: [G, ...].
    private Tensor PerStructure(Tensor perAtom)
    {
        var shape = perAtom.shape.ToArray();
        shape[0] = map.NumGraphs;
        using var one = 1.0.ToScalar();
        return zeros(shape, dtype: perAtom.dtype, device: perAtom.device).index_add(0, map.Batch, perAtom, one);
    }

    /// [G, m]: 1 where difference column j (iterates j and j + 1) lies after the structure's last restart.
    private Tensor Usable(int m, ScalarType dtype)
    {
        int first = _count - _iterates.Count;
        var usable = new double[map.NumGraphs * m];
        for (int g = 0; g < map.NumGraphs; g++)
            for (int j = 0; j < m; j++) usable[g * m + j] = first + j >= _start[g] ? 1 : 0;
        return tensor(usable, dtype: dtype).view(map.NumGraphs, m);
    }

    /// Restarts the structures whose residual norm grew, and those that already restarted too often.
    private void CheckGrowth(Iterate current)
    {
        var norms = PerStructure(current.Residual.detach().Squared().sum(1)).sqrt().to_type(ScalarType.Float64).data<double>().ToArray();
        for (int g = 0; g < norms.Length; g++)
        {
            if (_restarts[g] > MaxRestarts || norms[g] > RestartGrowth * _best[g]) Restart(g, norms[g]);
            else _best[g] = Math.Min(_best[g], norms[g]);
        }
    }

    /// [G, 1]: 0 for the structures whose coefficients are too large (they restart and take the linear step), else 1.
    private Tensor CheckCoefficients(Tensor gamma)
    {
        var largest = gamma.detach().abs().amax(1).to_type(ScalarType.Float64).data<double>().ToArray();
        var keep = new double[largest.Length];
        for (int g = 0; g < largest.Length; g++)
        {
            keep[g] = 1;
            if (largest[g] > MaxCoefficient || !double.IsFinite(largest[g]))
            {
                keep[g] = 0;
                Restart(g, _best[g]);
            }
        }
        return tensor(keep, dtype: gamma.dtype).unsqueeze(1);
    }

    /// Forgets the structure's history: only iterates from the current one on are combined.
    private void Restart(int g, double norm)
    {
        if (_count > 1) _restarts[g]++;
        _start[g] = _count - 1;
        _best[g] = norm;
    }

    public void Dispose()
    {
        foreach (var iterate in _iterates) iterate.Dispose();
        _iterates.Clear();
    }

    /// One iterate y and its image G(y); the residual f = G(y) − y.
    private sealed class Iterate(Tensor density, Tensor mapped) : IDisposable
    {
        public Tensor Mapped { get; } = mapped.alias();
        public Tensor Residual { get; } = mapped - density;

        public void DetachFromDisposeScope()
        {
            Mapped.DetachFromDisposeScope();
            Residual.DetachFromDisposeScope();
        }

        public void Dispose()
        {
            Mapped.Dispose();
            Residual.Dispose();
        }
    }
}
