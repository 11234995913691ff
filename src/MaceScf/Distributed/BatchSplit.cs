namespace MaceScf.Distributed;

/// A global batch split over the ranks so that they hold similar numbers of atoms: the frames, largest first (ties in
/// batch order), each go to the rank with the fewest atoms so far (ties to the lowest rank); each rank keeps its frames in
/// batch order. Every rank computes the same split from the same batch.
/// <param name="Shards">frame indices into the batch, per rank</param>
/// <param name="Atoms">atoms per rank</param>
internal sealed record BatchSplit(IReadOnlyList<int[]> Shards, IReadOnlyList<long> Atoms)
{
    public static BatchSplit Of(IReadOnlyList<int> atomCounts, int ranks)
    {
        var loads = new long[ranks];
        var members = Enumerable.Range(0, ranks).Select(_ => new List<int>()).ToArray();
        foreach (int frame in Enumerable.Range(0, atomCounts.Count).OrderByDescending(i => atomCounts[i]).ThenBy(i => i))
        {
            int rank = Array.IndexOf(loads, loads.Min());
            members[rank].Add(frame);
            loads[rank] += atomCounts[frame];
        }
        return new BatchSplit(members.Select(m => m.Order().ToArray()).ToArray(), loads);
    }

    /// The split of frames whose ranks are given (<paramref name="owners"/>, per frame): with shard_data a rank computes the
    /// frames it holds.
    public static BatchSplit ByOwner(IReadOnlyList<int> atomCounts, IReadOnlyList<int> owners, int ranks)
    {
        var members = Enumerable.Range(0, ranks).Select(r => Enumerable.Range(0, atomCounts.Count).Where(i => owners[i] == r).ToArray()).ToArray();
        return new BatchSplit(members, members.Select(m => m.Sum(i => (long)atomCounts[i])).ToArray());
    }

    /// Most atoms on one rank over the mean per rank (1 = perfect balance); the step waits for the busiest rank.
    public double Imbalance => Atoms.Count == 0 || Atoms.Sum() == 0 ? 1 : Atoms.Max() / ((double)Atoms.Sum() / Atoms.Count);
}
