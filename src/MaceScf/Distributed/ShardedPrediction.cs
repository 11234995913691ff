using MaceScf.Calculators;
using MaceScf.Data;

namespace MaceScf.Distributed;

/// A set evaluated by a calculator over the ranks (docs/distributed.md): the set's batches of <c>batchSize</c> frames are those
/// of one process, batch k runs on rank k mod R; after each round of R batches the ranks' results are gathered by one sum of
/// zero-padded per-frame records (<see cref="ResultsCodec"/>; a first sum gives the records' lengths). Every rank returns every
/// frame's prediction in set order, equal to one process's (a batch's results depend only on its frames), and holds at most a
/// round's records besides them.
internal static class ShardedPrediction
{
    public static IEnumerable<FramePrediction> Evaluate(ModelCalculator calculator, IReadOnlyList<LabelledConfiguration> frames,
        CalculatorProperties properties, int batchSize, ICommunicator ranks) =>
        Evaluate(frames, batchSize, ranks, own => FramePrediction.Evaluate(calculator, own, properties, batchSize).Select(p => p.Results));

    /// As above with <paramref name="evaluate"/> giving the results of a rank's frames (one batch of a round), in order.
    internal static IEnumerable<FramePrediction> Evaluate(IReadOnlyList<LabelledConfiguration> frames, int batchSize, ICommunicator ranks,
        Func<IReadOnlyList<LabelledConfiguration>, IEnumerable<CalculatorResults>> evaluate)
    {
        if (ranks.Size == 1)
        {
            foreach (var (frame, results) in frames.Zip(evaluate(frames))) yield return new FramePrediction(frame, results);
            yield break;
        }
        int mine = ranks.Rank * batchSize;
        // One pass over the set (a sharded training set is streamed from its file), a round of R batches at a time.
        foreach (var round in frames.Chunk(ranks.Size * batchSize))
        {
            var own = round.Skip(mine).Take(batchSize).ToList();
            List<double[]> records = own.Count == 0 ? [] : evaluate(own).Select(ResultsCodec.Encode).ToList();
            var lengths = new double[round.Length];
            for (int i = 0; i < records.Count; i++) lengths[mine + i] = records[i].Length;
            ranks.Sum(lengths);
            var offsets = new int[round.Length + 1];
            for (int i = 0; i < round.Length; i++) offsets[i + 1] = offsets[i] + (int)lengths[i];
            var gathered = new double[offsets[^1]];
            for (int i = 0; i < records.Count; i++) records[i].CopyTo(gathered, offsets[mine + i]);
            ranks.Sum(gathered);
            for (int i = 0; i < round.Length; i++)
                yield return new FramePrediction(round[i], ResultsCodec.Decode(gathered.AsSpan(offsets[i], offsets[i + 1] - offsets[i])));
        }
    }
}
