using System.Diagnostics;
using MaceScf.Training;
using Spectre.Console;

namespace MaceScf.Cli;

/// Progress of long work on the console (docs/design.md): on a terminal a live Spectre.Console display, one bar per phase
/// in progress with elapsed time and estimated time left; otherwise <see cref="PlainProgress"/> lines every
/// <see cref="PlainInterval"/>.
internal static class LiveProgress
{
    public static readonly TimeSpan PlainInterval = TimeSpan.FromSeconds(30);

    public static T Run<T>(IAnsiConsole console, Func<IProgress<WorkProgress>, T> work)
    {
        if (!console.Profile.Capabilities.Interactive || !console.Profile.Capabilities.Ansi)
        {
            var watch = Stopwatch.StartNew();
            return work(new PlainProgress(console.WriteLine, PlainInterval, () => watch.Elapsed));
        }
        T result = default!;
        console.Progress().HideCompleted(true).AutoClear(false)
            .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn(), new RemainingTimeColumn())
            .Start(context =>
            {
                var tasks = new Dictionary<string, ProgressTask>(StringComparer.Ordinal);
                result = work(new Callback(p =>
                {
                    if (!tasks.TryGetValue(p.Phase, out var task)) tasks[p.Phase] = task = context.AddTask(Markup.Escape(p.Phase), maxValue: p.Total);
                    task.MaxValue = p.Total;
                    task.Value = p.Done;
                    if (p.Done >= p.Total) task.StopTask();
                }));
            });
        return result;
    }

    /// Runs the callback synchronously on the working thread (Progress<T> would post it elsewhere).
    private sealed class Callback(Action<WorkProgress> action) : IProgress<WorkProgress>
    {
        public void Report(WorkProgress value) => action(value);
    }
}
