using System.Diagnostics;
using MaceScf.Distributed;

namespace MaceScf.Bench;

/// `mpiexec -n R dotnet MaceScf.Bench.dll allreduce P [REPEATS]`: the time of one gradient sum of P doubles
/// (<see cref="ICommunicator.Sum"/>), median and minimum over REPEATS, each preceded by a sum of one value so that the
/// ranks enter together (the wait for a slower rank is then not counted).
public static class AllreduceTiming
{
    public static void Run(string[] args)
    {
        int values = int.Parse(args[0]);
        int repeats = args.Length > 1 ? int.Parse(args[1]) : 200;
        using var ranks = MpiCommunicator.Start();
        var buffer = new double[values];
        var sync = new double[1];
        var times = new List<double>();
        for (int i = 0; i < repeats; i++)
        {
            ranks.Sum(sync);
            var watch = Stopwatch.StartNew();
            ranks.Sum(buffer);
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        times.Sort();
        if (ranks.Rank == 0)
            Console.WriteLine($"{ranks.Size} ranks, {values} doubles ({values * 8 / 1024.0:F0} KiB): median {times[times.Count / 2]:F3} ms, min {times[0]:F3} ms over {repeats}");
    }
}
