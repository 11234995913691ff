using System.Globalization;
using MaceScf.Calculators;
using MaceScf.FixedPoint;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// Frames per SCF status with their update counts and last changes (macescf eval, the end of macescf train); names the
/// frames that diverged and those whose implicit derivative fell back to the unroll.
internal static class ScfSummaryTable
{
    public static void Print(IAnsiConsole console, IReadOnlyList<FramePrediction> predictions, string title)
    {
        var table = new Table().AddColumns("status", "frames", "steps min / mean / max", "final mean |Δp| max");
        foreach (var group in predictions.GroupBy(p => p.Results.Status!.Value).OrderBy(g => g.Key))
        {
            var steps = group.Select(p => p.Results.Steps).ToArray();
            double last = group.Max(p => p.Results.History.Length == 0 ? 0 : p.Results.History[^1]);
            table.AddRow(ScfResult.Name(group.Key), group.Count().ToString(CultureInfo.InvariantCulture),
                $"{steps.Min()} / {steps.Average().ToString("F1", CultureInfo.InvariantCulture)} / {steps.Max()}",
                last.ToString("E2", CultureInfo.InvariantCulture));
        }
        table.Title = new TableTitle(Markup.Escape(title));
        console.Write(table);
        foreach (var p in predictions.Where(p => p.Results.Status == ScfStatus.Diverged))
            console.MarkupLineInterpolated($"[red]diverged:[/] {p.Frame.Configuration.DescribeOrigin()} after {p.Results.Steps} update(s)");
        var unresponsive = predictions.Where(p => p.Results.Status == ScfStatus.NoChargeResponse).ToList();
        if (unresponsive.Count > 0)
        {
            var s = CultureInfo.InvariantCulture;
            var named = unresponsive.Take(NamedFallbacks).ToList();
            string frames = string.Join("; ", named.Select(p => $"{p.Frame.Configuration.DescribeOrigin()} (μ {p.Results.FermiLevel!.Value.ToString("F1", s)} V)"))
                + (unresponsive.Count > NamedFallbacks ? $"; and {unresponsive.Count - NamedFallbacks} more" : "");
            console.MarkupLineInterpolated(
                $"[red]no charge response:[/] the density of {unresponsive.Count} frame(s) does not respond to the Fermi level (|∂Q/∂μ| < {ScfRunner.SmallResponse.ToString("G1", s)} e/V), so the constant-charge SCF cannot reach total_charge: {frames}. Run with --constant_charge false, or train a model whose update depends on μ.");
        }
        PrintDerivations(console, predictions);
    }

    /// Frames named per fallback reason before the rest are only counted (every frame's method is in the output file).
    public const int NamedFallbacks = 5;

    /// How many frames got implicit and unrolled derivatives and, per reason, the frames whose implicit derivative fell back.
    private static void PrintDerivations(IAnsiConsole console, IReadOnlyList<FramePrediction> predictions)
    {
        var derived = predictions.Where(p => p.Results.Derivation is not null).ToList();
        if (derived.Count == 0) return;
        string Count(ForcesMethod method) => derived.Count(p => p.Results.Derivation!.Method == method).ToString(CultureInfo.InvariantCulture);
        console.MarkupLineInterpolated($"forces: implicit for {Count(ForcesMethod.Implicit)} frame(s), unroll for {Count(ForcesMethod.Unroll)}");
        foreach (var group in derived.Where(p => p.Results.Derivation!.FellBack).GroupBy(p => p.Results.Derivation!.FallbackReason))
        {
            var frames = group.ToList();
            string named = string.Join("; ", frames.Take(NamedFallbacks).Select(p => p.Frame.Configuration.DescribeOrigin()));
            string more = frames.Count > NamedFallbacks ? $"; and {frames.Count - NamedFallbacks} more" : "";
            console.MarkupLineInterpolated(
                $"[yellow]unrolled instead of implicit ({group.Key} in their batch):[/] {frames.Count} frame(s): {named}{more}");
        }
    }
}
