namespace MaceScf.Distributed;

/// Which process and host each rank is, gathered through <see cref="ICommunicator.Sum"/>: MPICH's launcher reports a
/// killed rank by its PID and host, and this table names the rank.
internal static class RankIdentity
{
    private const int HostCharacters = 32;

    /// `0: pid 4711 on node01, 1: pid 4712 on node01, ...` (every rank gets the same text).
    public static string Describe(ICommunicator ranks)
    {
        int width = 1 + HostCharacters;
        var table = new double[ranks.Size * width];
        table[ranks.Rank * width] = Environment.ProcessId;
        string host = Environment.MachineName;
        for (int c = 0; c < Math.Min(host.Length, HostCharacters); c++) table[ranks.Rank * width + 1 + c] = host[c];
        ranks.Sum(table);
        return string.Join(", ", Enumerable.Range(0, ranks.Size).Select(r =>
        {
            var name = new string(table.Skip(r * width + 1).Take(HostCharacters).TakeWhile(c => c != 0).Select(c => (char)c).ToArray());
            return $"{r}: pid {table[r * width]} on {name}";
        }));
    }
}
