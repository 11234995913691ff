using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// Products Π_t x[a_t] for given multisets a₁ ≤ … ≤ a_ν of several degrees, built level by level: every degree-ν
/// row is a degree-(ν−1) row (its prefix) times one more factor, so each level costs one gather pair and one product.
internal sealed class MonomialTable
{
    private readonly (CachedConstant Prefix, CachedConstant Last)[] _levels; // degrees 2..max
    private readonly CachedConstant[] _select; // per degree: rows of that level that are requested

    /// <param name="requested">requested[ν−1] = sorted index tuples of degree ν, in output order</param>
    public MonomialTable(IReadOnlyList<int[][]> requested)
    {
        int maxDegree = requested.Count;
        var needed = new List<int[]>[maxDegree + 1];
        needed[maxDegree] = requested[maxDegree - 1].ToList();
        for (int nu = maxDegree - 1; nu >= 1; nu--)
            needed[nu] = Distinct(requested[nu - 1].Concat(needed[nu + 1].Select(t => t[..^1])));
        Count = requested.Sum(r => r.Length);
        _levels = new (CachedConstant, CachedConstant)[Math.Max(0, maxDegree - 1)];
        for (int nu = 2; nu <= maxDegree; nu++)
        {
            var below = Position(needed[nu - 1]);
            var prefix = needed[nu].Select(t => (long)(nu == 2 ? t[0] : below[Key(t[..^1])])).ToArray();
            var last = needed[nu].Select(t => (long)t[^1]).ToArray();
            _levels[nu - 2] = (new CachedConstant(torch.tensor(prefix)), new CachedConstant(torch.tensor(last)));
        }
        _select = Enumerable.Range(1, maxDegree).Select(nu =>
        {
            var at = Position(needed[nu]);
            return new CachedConstant(torch.tensor(requested[nu - 1].Select(t => (long)(nu == 1 ? t[0] : at[Key(t)])).ToArray()));
        }).ToArray();
    }

    /// Total number of requested monomials.
    public int Count { get; }

    /// x [D, L] → [Count, L], degrees in order, each in its requested order.
    public Tensor Evaluate(Tensor x)
    {
        var outputs = new List<Tensor> { x.index_select(0, _select[0].For(x)) };
        var level = x;
        for (int i = 0; i < _levels.Length; i++)
        {
            level = level.index_select(0, _levels[i].Prefix.For(x)) * x.index_select(0, _levels[i].Last.For(x));
            outputs.Add(level.index_select(0, _select[i + 1].For(x)));
        }
        return torch.cat(outputs.ToArray(), 0);
    }

    private static string Key(int[] t) => string.Join(',', t);

    private static List<int[]> Distinct(IEnumerable<int[]> tuples) =>
        tuples.GroupBy(Key).Select(g => g.First()).ToList();

    private static Dictionary<string, int> Position(List<int[]> tuples) =>
        tuples.Select((t, i) => (Key(t), i)).ToDictionary(p => p.Item1, p => p.i);
}
