using MaceScf.Distributed;

namespace MaceScf.Tests.Distributed;

public sealed class BatchSplitTests
{
    [Fact]
    public void Every_frame_goes_to_one_rank_and_the_atoms_are_balanced()
    {
        int[] atoms = [9, 3, 12, 3, 7, 8, 3, 5];
        var split = BatchSplit.Of(atoms, 3);
        Assert.Equal(Enumerable.Range(0, atoms.Length), split.Shards.SelectMany(s => s).Order());
        Assert.All(split.Shards, s => Assert.Equal(s.Order(), s));
        Assert.Equal(split.Shards.Select(s => s.Sum(i => (long)atoms[i])), split.Atoms);
        // 50 atoms over 3 ranks, largest first to the lightest rank: 12+3+3 / 9+5+3 / 8+7.
        Assert.Equal([18L, 17, 15], split.Atoms);
        Assert.Equal(18 / (50 / 3.0), split.Imbalance, 12);
        Assert.Equal(split.Shards, BatchSplit.Of(atoms, 3).Shards);
    }

    [Fact]
    public void One_rank_keeps_the_batch_in_order_and_more_ranks_than_frames_leave_ranks_empty()
    {
        Assert.Equal([0, 1, 2], BatchSplit.Of([4, 9, 1], 1).Shards.Single());
        Assert.Equal(1.0, BatchSplit.Of([4, 9, 1], 1).Imbalance);
        var split = BatchSplit.Of([4, 4], 3);
        Assert.Equal([[0], [1], []], split.Shards);
        Assert.Equal(1.5, split.Imbalance, 12);
    }
}
