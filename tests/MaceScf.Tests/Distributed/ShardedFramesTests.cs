using MaceScf.Data;
using MaceScf.Tests.Examples;
using MaceScf.Training;

namespace MaceScf.Tests.Distributed;

/// shard_data (docs/distributed.md, "Reading a shard"): a rank keeps its shard of the training file and streams the rest, and
/// finds the same split, counts, species and notes as a process that reads everything.
public sealed class ShardedFramesTests
{
    static DataOptions Data(params string[] more)
    {
        string[] args = ["--config", ConductorExample.File("config.yaml"), "--valid_batch_size", "3", .. more];
        return TrainingConfigLoader.Load(args, Directory.GetCurrentDirectory()).Data;
    }

    static int[] Origins(IEnumerable<LabelledConfiguration> frames) => frames.Select(f => f.Configuration.FrameIndex).ToArray();

    [Theory]
    [InlineData("0.25")]
    [InlineData(null)]
    public void A_rank_holds_its_whole_batches_and_streams_the_same_frames_as_one_process(string? validFraction)
    {
        var data = validFraction is null ? Data() : Data("--valid_file", "None", "--valid_fraction", validFraction);
        var whole = TrainingSets.Load(data, 1);
        for (int rank = 0; rank < 2; rank++)
        {
            var sharded = TrainingSets.Load(data, 1, (rank, 2));
            var train = Assert.IsType<ShardedFrames>(sharded.Train);
            Assert.Equal(whole.Train.Count, train.Count);
            Assert.Equal(whole.Train.Select(f => f.Configuration.AtomCount), train.Atoms);
            Assert.Equal(Origins(whole.Train), Origins(train));
            Assert.Equal(whole.Train.Select(f => f.Energy.Value), train.Select(f => f.Energy.Value));
            Assert.Equal(Origins(whole.Valid), Origins(sharded.Valid));
            Assert.Equal(whole.Species.AtomicNumbers, sharded.Species.AtomicNumbers);
            Assert.Equal(whole.Warnings, sharded.Warnings);
            // Blocks of valid_batch_size positions, block k on rank k mod 2: the batches of the final evaluation.
            var held = Enumerable.Range(0, train.Count).Where(p => p / 3 % 2 == rank).ToArray();
            Assert.Equal(held.Length, train.HeldCount);
            foreach (int p in held) Assert.Same(train[p], train.ElementAt(p));
            int other = Enumerable.Range(0, train.Count).First(p => p / 3 % 2 != rank);
            Assert.Contains($"held by rank {1 - rank}", Assert.Throws<InvalidOperationException>(() => train[other]).Message);
        }
    }
}
