using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// Products Π_t x[a_t] for given multisets a₁ ≤ … ≤ a_ν of several degrees, built level by level: every degree-ν
/// row is a degree-(ν−1) row (its prefix) times one more factor, so each level costs one gather pair and one product.
internal sealed class MonomialTable
{
    private readonly (CachedConstant Prefix, CachedConstant Last)[] _levels; // degrees 2..max
    private readonly CachedConstant?[] _select; // per degree: rows of that level that are requested (null: all, in order)

    /// <param name="requested">requested[ν−1] = sorted index tuples of degree ν, in output order</param>
    public MonomialTable(IReadOnlyList<int[][]> requested)
    {
        using var scope = NewDisposeScope();
        int maxDegree = requested.Count;
        var needed = new List<int[]>[maxDegree + 1];
        needed[maxDegree] = requested[maxDegree - 1].ToList();
        for (int nu = maxDegree - 1; nu >= 1; nu--)
            needed[nu] = Distinct(requested[nu - 1].Concat(needed[nu + 1].Select(t => t[..^1])));
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
            var rows = requested[nu - 1].Select(t => (long)(nu == 1 ? t[0] : at[Key(t)])).ToArray();
            bool identity = nu > 1 && rows.Length == needed[nu].Count && rows.Select((r, i) => r == i).All(b => b);
            return identity ? null : new CachedConstant(torch.tensor(rows));
        }).ToArray();
    }

    /// x [D, L] → per degree ν, [count_ν, L] in the requested order.
    public Tensor[] Evaluate(Tensor x)
    {
        var outputs = new Tensor[_select.Length];
        outputs[0] = Select(x, _select[0], x);
        var level = x;
        for (int i = 0; i < _levels.Length; i++)
        {
            level = level.index_select(0, _levels[i].Prefix.For(x)) * x.index_select(0, _levels[i].Last.For(x));
            outputs[i + 1] = Select(level, _select[i + 1], x);
        }
        return outputs;
    }

    private static Tensor Select(Tensor rows, CachedConstant? index, Tensor like) =>
        index is null ? rows : rows.index_select(0, index.For(like));

    private static string Key(int[] t) => string.Join(',', t);

    private static List<int[]> Distinct(IEnumerable<int[]> tuples) =>
        tuples.GroupBy(Key).Select(g => g.First()).ToList();

    private static Dictionary<string, int> Position(List<int[]> tuples) =>
        tuples.Select((t, i) => (Key(t), i)).ToDictionary(p => p.Item1, p => p.i);
}
