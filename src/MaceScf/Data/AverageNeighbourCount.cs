namespace MaceScf.Data;

/// MACE's avg_num_neighbors: incoming edges per receiver, averaged over every atom of the given
/// neighbour lists that receives at least one edge (atoms with no neighbour are not counted).
internal static class AverageNeighbourCount
{
    public static double Compute(IEnumerable<NeighbourList> lists)
    {
        long edges = 0, receivers = 0;
        foreach (var list in lists)
        {
            var hasIncoming = new bool[list.AtomCount];
            foreach (int r in list.Receivers) hasIncoming[r] = true;
            edges += list.EdgeCount;
            receivers += hasIncoming.Count(h => h);
        }
        if (receivers == 0) throw new ArgumentException("no atom has a neighbour within the cutoff", nameof(lists));
        return (double)edges / receivers;
    }
}
