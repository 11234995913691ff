using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Distributed;
using MaceScf.FixedPoint;
using MaceScf.Tests.Examples;

namespace MaceScf.Tests.Distributed;

/// The sharded evaluation of a set (<see cref="ShardedPrediction"/>) run by three ranks on threads: each rank computes only its
/// whole batches, and every rank returns what one process returns.
public sealed class ShardedPredictionTests
{
    /// Ranks on threads of this process: a sum waits for every rank, then each adds the contributions in rank order.
    sealed class ThreadRank(int rank, int size, Barrier barrier, double[][] contributions) : ICommunicator
    {
        public int Rank => rank;

        public int Size => size;

        public void Sum(double[] values)
        {
            contributions[rank] = (double[])values.Clone();
            barrier.SignalAndWait();
            for (int i = 0; i < values.Length; i++) values[i] = contributions.Sum(c => c[i]);
            barrier.SignalAndWait();
        }

        public void Abort(int exitCode) => throw new InvalidOperationException($"rank {rank} aborted");

        public void Dispose() { }
    }

    /// Results that differ per frame in every kind of output, some of them of the frame's length.
    static CalculatorResults Fake(LabelledConfiguration frame)
    {
        int n = frame.Configuration.AtomCount, k = frame.Configuration.FrameIndex;
        var forces = new double[n, 3];
        for (int i = 0; i < n; i++) forces[i, i % 3] = k + i / 7.0;
        return new CalculatorResults(-k - 1 / 3.0, new Dictionary<string, double> { ["mace"] = k })
        {
            Forces = forces, Status = k % 2 == 0 ? ScfStatus.Converged : ScfStatus.MaxStepsReached, Steps = k,
            History = Enumerable.Range(0, k).Select(s => 1.0 / (s + 1)).ToArray(),
            Derivation = k == 3 ? new ForcesDerivation(ForcesMethod.Unroll, "SCF not converged") : null,
        };
    }

    [Fact]
    public void Each_rank_computes_its_whole_batches_and_every_rank_gets_every_prediction()
    {
        var frames = new LabelExtractor(KeyMapping.Default).ExtractAll(ExtXyzReader.Read(ConductorExample.File("test.xyz"))).Take(7).ToList();
        Assert.Equal(7, frames.Count);
        const int size = 3, batchSize = 2;
        var single = ShardedPrediction.Evaluate(frames, batchSize, SingleProcess.Instance, own => own.Select(Fake)).ToList();
        using var barrier = new Barrier(size);
        var contributions = new double[size][];
        var computed = new List<int>[size];
        var gathered = new List<FramePrediction>[size];
        var threads = Enumerable.Range(0, size).Select(rank => new Thread(() =>
        {
            computed[rank] = [];
            gathered[rank] = ShardedPrediction.Evaluate(frames, batchSize, new ThreadRank(rank, size, barrier, contributions), own =>
            {
                computed[rank].AddRange(own.Select(f => f.Configuration.FrameIndex));
                return own.Select(Fake);
            }).ToList();
        })).ToList();
        threads.ForEach(t => t.Start());
        threads.ForEach(t => t.Join());
        // Batches {0, 1} {2, 3} {4, 5} then {6}: batch k on rank k mod 3.
        Assert.Equal([0, 1, 6], computed[0]);
        Assert.Equal([2, 3], computed[1]);
        Assert.Equal([4, 5], computed[2]);
        foreach (var predictions in gathered)
        {
            Assert.Equal(frames, predictions.Select(p => p.Frame));
            Assert.Equal(single.Select(p => ResultsCodec.Encode(p.Results)), predictions.Select(p => ResultsCodec.Encode(p.Results)));
        }
    }
}
