using System.Globalization;
using MaceScf.FixedPoint;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// Frames per SCF status with their update counts and last changes (macescf eval, the end of macescf train); names the
/// frames that diverged.
public static class ScfSummaryTable
{
    public static void Print(IAnsiConsole console, IReadOnlyList<FramePrediction> predictions, string title)
    {
        var table = new Table().AddColumns("status", "frames", "steps min / mean / max", "final mean |Δp| max");
        foreach (var group in predictions.GroupBy(p => p.Status).OrderBy(g => g.Key))
        {
            var steps = group.Select(p => p.Steps).ToArray();
            double last = group.Max(p => p.History.Length == 0 ? 0 : p.History[^1]);
            table.AddRow(ScfResult.Name(group.Key), group.Count().ToString(CultureInfo.InvariantCulture),
                $"{steps.Min()} / {steps.Average().ToString("F1", CultureInfo.InvariantCulture)} / {steps.Max()}",
                last.ToString("E2", CultureInfo.InvariantCulture));
        }
        table.Title = new TableTitle(Markup.Escape(title));
        console.Write(table);
        foreach (var p in predictions.Where(p => p.Status == ScfStatus.Diverged))
            console.MarkupLineInterpolated($"[red]diverged:[/] {p.Frame.Configuration.DescribeOrigin()} after {p.Steps} update(s)");
    }
}
