using System.Diagnostics;
using MaceScf.Training;

namespace MaceScf.Bench;

/// `dotnet MaceScf.Bench.dll shard-load R [train options...]`: the data sets of a run as one process reads them and as rank 0
/// of R reads them with shard_data (docs/distributed.md, "Reading a shard"): seconds to read, managed memory they hold
/// (after a full collection) and seconds of one streaming pass over the training frames. The options are those of
/// `macescf train` (e.g. `--config examples/conductor/config.yaml --train_file big.xyz`).
public static class ShardLoadTiming
{
    public static void Run(string[] args)
    {
        int ranks = int.Parse(args[0]);
        var config = TrainingConfigLoader.Load(args[1..], Directory.GetCurrentDirectory());
        int maxL = config.Get(TrainingOptions.AtomicMultipolesMaxL);
        foreach (var shard in new (int, int)?[] { null, (0, ranks) })
        {
            long before = GC.GetTotalMemory(forceFullCollection: true);
            var watch = Stopwatch.StartNew();
            var sets = TrainingSets.Load(config.Data, maxL, shard);
            double read = watch.Elapsed.TotalSeconds;
            long held = GC.GetTotalMemory(forceFullCollection: true) - before;
            watch.Restart();
            long atoms = sets.Train.Sum(f => (long)f.Configuration.AtomCount);
            double pass = watch.Elapsed.TotalSeconds;
            string layout = shard is null ? "one process" : $"rank 0 of {ranks}, shard_data";
            Console.WriteLine($"{layout,-24} {sets.Train.Count} train / {sets.Valid.Count} valid frames ({atoms} train atoms): read {read:F2} s, "
                + $"holds {held / 1048576.0:F1} MiB, one pass over the training frames {pass:F2} s");
            GC.KeepAlive(sets);
        }
    }
}
