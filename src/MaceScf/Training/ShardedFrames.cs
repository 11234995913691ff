using System.Collections;
using MaceScf.Data;

namespace MaceScf.Training;

/// <summary>
/// The training frames of a distributed run with shard_data (docs/distributed.md, "Reading a shard"): a rank keeps in memory
/// only its shard, the whole batches of valid_batch_size consecutive frames k with k mod R = its rank (the batches the final
/// evaluation gives it), and knows every frame's atom count. Enumerating streams the file again, handing out the shard's
/// frames from memory (the statistics of <see cref="ModelSetup"/> and the final evaluation read every frame this way);
/// indexing gives the shard's frames only.
/// </summary>
internal sealed class ShardedFrames : IReadOnlyList<LabelledConfiguration>
{
    private readonly Func<IEnumerable<LabelledConfiguration>> _stream;
    private readonly Dictionary<int, LabelledConfiguration> _held;
    private readonly int _batchSize;
    private readonly int _ranks;

    /// <param name="stream">every training frame in order, read from the file</param>
    /// <param name="atoms">every training frame's atom count</param>
    /// <param name="held">this rank's frames by position</param>
    /// <param name="batchSize">valid_batch_size: frames per block of the shard</param>
    /// <param name="ranks">the number of ranks</param>
    public ShardedFrames(Func<IEnumerable<LabelledConfiguration>> stream, int[] atoms, Dictionary<int, LabelledConfiguration> held, int batchSize,
        int ranks)
    {
        _stream = stream;
        Atoms = atoms;
        _held = held;
        _batchSize = batchSize;
        _ranks = ranks;
    }

    /// Every training frame's atom count, by position.
    public IReadOnlyList<int> Atoms { get; }

    /// The frames this rank holds.
    public int HeldCount => _held.Count;

    public int Count => Atoms.Count;

    /// The rank that holds the frame at <paramref name="position"/>.
    public int Owner(int position) => Owner(position, _batchSize, _ranks);

    public static int Owner(int position, int batchSize, int ranks) => position / batchSize % ranks;

    public LabelledConfiguration this[int position] => _held.TryGetValue(position, out var frame) ? frame
        : throw new InvalidOperationException($"training frame {position} is held by rank {Owner(position)}, not this one (shard_data)");

    public IEnumerator<LabelledConfiguration> GetEnumerator()
    {
        int position = 0;
        foreach (var frame in _stream()) yield return _held.GetValueOrDefault(position++) ?? frame;
    }

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
}
