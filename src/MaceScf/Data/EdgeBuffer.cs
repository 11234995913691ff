namespace MaceScf.Data;

/// Growable storage for edges found during a search, without a heap object per edge.
internal sealed class EdgeBuffer
{
    private int[] _senders = new int[64];
    private int[] _receivers = new int[64];
    private int[] _shifts = new int[3 * 64];
    private double[] _distances = new double[64];

    public int Count { get; private set; }

    public void Add(int sender, int receiver, int s0, int s1, int s2, double distance)
    {
        if (Count == _senders.Length) Grow();
        int e = Count++;
        _senders[e] = sender;
        _receivers[e] = receiver;
        _shifts[3 * e] = s0;
        _shifts[3 * e + 1] = s1;
        _shifts[3 * e + 2] = s2;
        _distances[e] = distance;
    }

    /// The edges ordered by sender (stable counting sort), as a neighbour list.
    public NeighbourList ToNeighbourList(int atomCount, double cutoff)
    {
        var offsets = new int[atomCount + 1];
        for (int e = 0; e < Count; e++) offsets[_senders[e] + 1]++;
        for (int i = 0; i < atomCount; i++) offsets[i + 1] += offsets[i];

        var senders = new int[Count];
        var receivers = new int[Count];
        var shifts = new int[Count, 3];
        var distances = new double[Count];
        for (int e = 0; e < Count; e++)
        {
            int slot = offsets[_senders[e]]++;
            senders[slot] = _senders[e];
            receivers[slot] = _receivers[e];
            shifts[slot, 0] = _shifts[3 * e];
            shifts[slot, 1] = _shifts[3 * e + 1];
            shifts[slot, 2] = _shifts[3 * e + 2];
            distances[slot] = _distances[e];
        }
        return new NeighbourList(atomCount, cutoff, senders, receivers, shifts, distances);
    }

    private void Grow()
    {
        int capacity = checked(2 * _senders.Length);
        Array.Resize(ref _senders, capacity);
        Array.Resize(ref _receivers, capacity);
        Array.Resize(ref _shifts, 3 * capacity);
        Array.Resize(ref _distances, capacity);
    }
}
