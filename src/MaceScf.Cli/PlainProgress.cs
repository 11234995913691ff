using System.Globalization;
using MaceScf.Training;

namespace MaceScf.Cli;

/// Progress for output that is not a terminal (a log file, a batch job): one plain line, at most every
/// <paramref name="interval"/>, naming the phase, the count done, the time it has taken and the estimated time left.
internal sealed class PlainProgress(Action<string> write, TimeSpan interval, Func<TimeSpan> clock) : IProgress<WorkProgress>
{
    private readonly Dictionary<string, (TimeSpan Time, int Done)> _firstSeen = new(StringComparer.Ordinal);
    private TimeSpan? _lastLine;

    public void Report(WorkProgress value)
    {
        var now = clock();
        if (!_firstSeen.TryGetValue(value.Phase, out var first)) _firstSeen[value.Phase] = first = (now, value.Done);
        _lastLine ??= now;
        if (now - _lastLine < interval) return;
        _lastLine = now;
        var s = CultureInfo.InvariantCulture;
        string line = $"{value.Phase}: {value.Done}/{value.Total} ({(100.0 * value.Done / Math.Max(1, value.Total)).ToString("F0", s)}%)";
        if (value.Done > first.Done && value.Done < value.Total)
        {
            double perItem = (now - first.Time).TotalSeconds / (value.Done - first.Done);
            line += $", about {Duration(perItem * (value.Total - value.Done))} left";
        }
        write(line);
    }

    /// `45 s`, `12 min 5 s`, `3 h 20 min`.
    public static string Duration(double seconds) => seconds switch
    {
        < 60 => $"{Math.Round(seconds):F0} s",
        < 3600 => $"{(int)(seconds / 60)} min {(int)(seconds % 60)} s",
        _ => $"{(int)(seconds / 3600)} h {(int)(seconds % 3600 / 60)} min",
    };
}
