namespace MaceScf.Data;

/// Growable storage for edges found during a search, without a heap object per edge.
internal sealed class EdgeBuffer
{
    private int[] _senders;
    private int[] _receivers;
    private int[] _shifts;
    private double[] _distances;

    public EdgeBuffer(int capacity)
    {
        _senders = new int[capacity];
        _receivers = new int[capacity];
        _shifts = new int[3 * capacity];
        _distances = new double[capacity];
    }

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

    public NeighbourList ToNeighbourList(int atomCount, double cutoff)
    {
        var unitShifts = new int[Count, 3];
        Buffer.BlockCopy(_shifts, 0, unitShifts, 0, 3 * Count * sizeof(int));
        return new NeighbourList(atomCount, cutoff, _senders[..Count], _receivers[..Count], unitShifts, _distances[..Count]);
    }

    private void Grow()
    {
        int capacity = (int)Math.Min(Array.MaxLength / 3, 2L * Math.Max(_senders.Length, 1));
        if (capacity == _senders.Length) throw new InvalidOperationException($"more than {capacity} edges do not fit in one neighbour list");
        Array.Resize(ref _senders, capacity);
        Array.Resize(ref _receivers, capacity);
        Array.Resize(ref _shifts, 3 * capacity);
        Array.Resize(ref _distances, capacity);
    }
}
