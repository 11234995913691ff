using MaceScf.Training;
using ScottPlot;

namespace MaceScf.Cli.Commands;

/// PNG plots of a training run in results_dir: `{tag}_loss.png` (log10 of the train and valid losses per epoch, stage
/// boundaries marked) and, when a stage runs an SCF, `{tag}_scf.png` (mean SCF updates and converged fraction per epoch).
internal static class TrainingPlots
{
    public static IReadOnlyList<string> Write(string resultsDir, string tag, IReadOnlyList<EpochReport> epochs)
    {
        Directory.CreateDirectory(resultsDir);
        var written = new List<string> { Loss(Path.Combine(resultsDir, $"{tag}_loss.png"), epochs) };
        var scf = epochs.Where(e => e.ScfSteps is not null).ToArray();
        if (scf.Length > 0) written.Add(Scf(Path.Combine(resultsDir, $"{tag}_scf.png"), scf));
        return written;
    }

    private static string Loss(string path, IReadOnlyList<EpochReport> epochs)
    {
        var plot = new Plot();
        var train = plot.Add.Scatter(epochs.Select(e => (double)e.Epoch).ToArray(), epochs.Select(e => Math.Log10(e.TrainLoss)).ToArray());
        train.LegendText = "train";
        var evaluated = epochs.Where(e => e.ValidLoss is not null).ToArray();
        if (evaluated.Length > 0)
        {
            var valid = plot.Add.Scatter(evaluated.Select(e => (double)e.Epoch).ToArray(), evaluated.Select(e => Math.Log10(e.ValidLoss!.Value)).ToArray());
            valid.LegendText = "valid";
        }
        foreach (var start in epochs.Where((e, i) => i > 0 && e.Stage != epochs[i - 1].Stage)) plot.Add.VerticalLine(start.Epoch - 0.5);
        plot.XLabel("epoch");
        plot.YLabel("log10 loss");
        plot.ShowLegend();
        plot.SavePng(path, 800, 500);
        return path;
    }

    private static string Scf(string path, IReadOnlyList<EpochReport> epochs)
    {
        var plot = new Plot();
        var x = epochs.Select(e => (double)e.Epoch).ToArray();
        var steps = plot.Add.Scatter(x, epochs.Select(e => e.ScfSteps!.Value).ToArray());
        steps.LegendText = "mean SCF updates";
        var converged = plot.Add.Scatter(x, epochs.Select(e => 100 * e.ScfConverged!.Value).ToArray());
        converged.LegendText = "converged (%)";
        plot.XLabel("epoch");
        plot.ShowLegend();
        plot.SavePng(path, 800, 500);
        return path;
    }
}
