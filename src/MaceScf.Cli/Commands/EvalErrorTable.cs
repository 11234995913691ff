using System.Globalization;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Calculators;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// RMSE and MAE of the predictions against the reference labels present in the file (frames without a label are skipped).
internal static class EvalErrorTable
{
    public static void Print(IAnsiConsole console, IReadOnlyList<FramePrediction> predictions, string title = DefaultTitle) =>
        Print(console, Rows(predictions), title);

    private const string DefaultTitle = "errors against the reference labels";


    private static void Print(IAnsiConsole console, IEnumerable<Row> all, string title)
    {
        var rows = all.Where(r => r.Count > 0).ToList();
        if (rows.Count == 0)
        {
            console.WriteLine("no reference labels: no error table");
            return;
        }
        var table = new Table().AddColumns("property", "unit", "values", "RMSE", "MAE");
        foreach (var r in rows)
            table.AddRow(r.Name, r.Unit, r.Count.ToString(CultureInfo.InvariantCulture), r.Rmse.ToString("G4", CultureInfo.InvariantCulture),
                r.Mae.ToString("G4", CultureInfo.InvariantCulture));
        table.Title = new TableTitle(Markup.Escape(title));
        console.Write(table);
    }

    public sealed record Row(string Name, string Unit, int Count, double Rmse, double Mae);

    public static IEnumerable<Row> Rows(IReadOnlyList<FramePrediction> predictions)
    {
        yield return Collect("energy per atom", "meV/atom", predictions.Where(p => p.Frame.Energy.IsPresent)
            .Select(p => 1000 * (p.Results.Energy - p.Frame.Energy.Value) / p.Frame.Configuration.AtomCount));
        yield return Collect("forces", "meV/Å", predictions.Where(p => p.Frame.Forces.IsPresent && p.Results.Forces is not null)
            .SelectMany(p => Differences(p.Results.Forces!, p.Frame.Forces.Value).Select(d => 1000 * d)));
        yield return Collect("stress", "meV/Å³", predictions.Where(p => p.Frame.Stress.IsPresent && p.Results.Stress is not null)
            .SelectMany(p => Differences(p.Results.Stress!, p.Frame.Stress.Value).Select(d => 1000 * d)));
        yield return Collect("virials per atom", "meV/atom", predictions.Where(p => p.Frame.Virials.IsPresent && p.Results.Virial is not null)
            .SelectMany(p => Differences(p.Results.Virial!, p.Frame.Virials.Value).Select(d => 1000 * d / p.Frame.Configuration.AtomCount)));
        yield return Collect("atomic multipoles", "e (·Å^l)", predictions.Where(p => p.Frame.AtomicMultipoles.IsPresent && p.Results.Density is not null)
            .SelectMany(p => Differences(p.Results.Density!, p.Frame.AtomicMultipoles.Value)));
        yield return Collect("dipole", "e·Å", predictions.Where(p => p.Frame.Dipole.IsPresent && p.Results.Dipole is not null)
            .SelectMany(p => p.Results.Dipole!.Zip(p.Frame.Dipole.Value, (a, b) => a - b)));
        yield return Collect("total charge", "e", predictions.Where(p => p.Frame.TotalCharge.IsPresent && p.Results.TotalCharge is not null)
            .Select(p => p.Results.TotalCharge!.Value - p.Frame.TotalCharge.Value));
        yield return Collect("polarizability per atom", "e·Å²/V", predictions.Where(p => p.Frame.Polarizability.IsPresent && p.Results.Polarizability is not null)
            .SelectMany(p => Differences(p.Results.Polarizability!, p.Frame.Polarizability.Value).Select(d => d / p.Frame.Configuration.AtomCount)));
        yield return Collect("Born charges", "e", predictions.Where(p => p.Frame.BornCharges.IsPresent && p.Results.BornCharges is not null)
            .SelectMany(p => Differences(p.Results.BornCharges!, p.Frame.BornCharges.Value)));
        yield return Collect("Fermi level", "V", predictions.Where(p => p.Frame.FermiLevel.IsPresent && p.Results.FermiLevel is not null)
            .Select(p => p.Results.FermiLevel!.Value - p.Frame.FermiLevel.Value));
    }

    private static IEnumerable<double> Differences(double[,] predicted, double[,] reference)
    {
        int columns = Math.Min(predicted.GetLength(1), reference.GetLength(1));
        for (int i = 0; i < predicted.GetLength(0); i++)
            for (int j = 0; j < columns; j++) yield return predicted[i, j] - reference[i, j];
    }

    private static Row Collect(string name, string unit, IEnumerable<double> differences)
    {
        var d = differences.ToArray();
        return d.Length == 0
            ? new Row(name, unit, 0, 0, 0)
            : new Row(name, unit, d.Length, Math.Sqrt(d.Average(x => x * x)), d.Average(Math.Abs));
    }
}
