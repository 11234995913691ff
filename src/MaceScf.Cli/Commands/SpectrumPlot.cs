using MaceScf.Spectra;
using ScottPlot;

namespace MaceScf.Cli.Commands;

/// The PNG plot of `macescf spectrum`: absorption against wavenumber, peaks marked.
internal static class SpectrumPlot
{
    public static void Write(string path, InfraredSpectrum spectrum, int count, IReadOnlyList<double> peaks)
    {
        var plot = new Plot();
        double highest = spectrum.Absorption.Take(count).Max();
        var line = plot.Add.Scatter(spectrum.Wavenumbers.Take(count).ToArray(), spectrum.Absorption.Take(count).Select(v => v / highest).ToArray());
        line.MarkerSize = 0;
        foreach (var peak in peaks) plot.Add.VerticalLine(peak).LinePattern = LinePattern.Dotted;
        plot.XLabel("wavenumber (cm⁻¹)");
        plot.YLabel("IR absorption (relative)");
        string temporary = path + ".tmp.png";
        plot.SavePng(temporary, 900, 500);
        File.Move(temporary, path, overwrite: true);
    }
}
