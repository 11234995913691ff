namespace MaceScf.Distributed;

/// Checks that every rank holds the same value (e.g. a fingerprint of the parameters): a rank that drifted would otherwise
/// train a different model silently.
internal static class RankAgreement
{
    /// Throws naming the first rank whose <paramref name="value"/> differs from rank 0's.
    public static void Check(ICommunicator ranks, double value, string what)
    {
        if (ranks.Size == 1) return;
        var all = new double[ranks.Size];
        all[ranks.Rank] = value;
        ranks.Sum(all);
        for (int r = 1; r < all.Length; r++)
            if (BitConverter.DoubleToInt64Bits(all[r]) != BitConverter.DoubleToInt64Bits(all[0]))
                throw new InvalidOperationException($"rank {r}'s {what} ({all[r]:R}) differs from rank 0's ({all[0]:R})");
    }
}
