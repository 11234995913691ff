using System.Diagnostics;

namespace MaceScf.Bench;

/// One warm-up call, then the wall time of each of <c>repeats</c> calls (ms), in call order.
internal static class StopwatchRuns
{
    public static List<double> Time(Action step, int repeats) => Time(() =>
    {
        step();
        return 0.0;
    }, repeats);

    public static List<double> Time(Func<double> step, int repeats)
    {
        step();
        var times = new List<double>();
        for (int r = 0; r < repeats; r++)
        {
            var watch = Stopwatch.StartNew();
            step();
            times.Add(watch.Elapsed.TotalMilliseconds);
        }
        return times;
    }
}
