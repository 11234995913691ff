namespace MaceScf.Text;

/// "Did you mean ...?" suggestions: the candidate nearest to a mistyped name by edit distance,
/// if it is near enough to be a plausible typo.
internal static class ClosestMatch
{
    /// The nearest candidate within max(2, length/3) edits; failing that, the shortest candidate
    /// that starts with a name of at least 3 characters (`unroll` → `unroll_scf`); otherwise null.
    public static string? Find(string name, IEnumerable<string> candidates)
    {
        var list = candidates.ToList();
        string? best = null;
        int bestDistance = int.MaxValue;
        foreach (var c in list)
        {
            int d = EditDistance(name, c);
            if (d < bestDistance) { bestDistance = d; best = c; }
        }
        if (bestDistance <= Math.Max(2, name.Length / 3)) return best;
        return name.Length < 3 ? null : list.Where(c => c.StartsWith(name, StringComparison.Ordinal)).MinBy(c => c.Length);
    }

    /// Levenshtein distance (insertions, deletions and substitutions each cost 1).
    public static int EditDistance(string a, string b)
    {
        var prev = new int[b.Length + 1];
        var cur = new int[b.Length + 1];
        for (int j = 0; j <= b.Length; j++) prev[j] = j;
        for (int i = 1; i <= a.Length; i++)
        {
            cur[0] = i;
            for (int j = 1; j <= b.Length; j++)
                cur[j] = Math.Min(Math.Min(cur[j - 1] + 1, prev[j] + 1), prev[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1));
            (prev, cur) = (cur, prev);
        }
        return prev[b.Length];
    }
}
