using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// Checkpoints carry the SHA-256 of their files: a damaged checkpoint stops a restart with an error naming the file.
public sealed class CheckpointChecksumTests
{
    [Fact]
    public void ARestartFromADamagedCheckpointNamesTheFile()
    {
        using var run = new TrainingRunFixture(frames: 4);
        string yaml = TrainingRunFixture.TinyModel + TrainingRunFixture.DirectThenUnroll + "restart_latest: true\n";
        Assert.Throws<OperationCanceledException>(() => TrainerTests.Train(run, yaml, "b", stopAfterEpoch: 1));
        var folder = Directory.GetDirectories(Path.Combine(run.Folder, "b", "checkpoints")).Single();
        Assert.True(File.Exists(Path.Combine(folder, CheckpointChecksums.FileName)));
        var weights = Path.Combine(folder, "model.pt");
        var bytes = File.ReadAllBytes(weights);
        var random = new Random(20);
        foreach (int position in Enumerable.Range(0, 20).Select(_ => random.Next(bytes.Length / 2, bytes.Length)).Distinct())
            bytes[position] ^= 0x5a;
        File.WriteAllBytes(weights, bytes);
        var error = Assert.Throws<InvalidDataException>(() => TrainerTests.Train(run, yaml, "b", stopAfterEpoch: null));
        Assert.Contains(weights, error.Message);
        Assert.Contains("checksum", error.Message);
    }
}
