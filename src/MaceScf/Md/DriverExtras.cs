using System.Text.Json;
using MaceScf.Calculators;
using MaceScf.Driver;

namespace MaceScf.Md;

/// The i-PI extras string of a step (docs/response.md, "Fields and potentials in MD"): a JSON object with the total dipole
/// in atomic units (e·Bohr, like everything else on the wire and like i-PI's own dipole drivers) and, on request, the
/// atomic charges (e) in the server's atom order. i-PI records it with an `extras` trajectory output.
internal static class DriverExtras
{
    /// {"dipole": [Px, Py, Pz]} or {"dipole": [...], "charges": [q_1, …]}; empty for a model without a density.
    public static string For(CalculatorResults results, bool charges)
    {
        if (results.Dipole is null) return "";
        var extras = new Dictionary<string, double[]> { ["dipole"] = results.Dipole.Select(p => p / IpiUnits.Bohr).ToArray() };
        if (charges && results.Density is { } density)
            extras["charges"] = Enumerable.Range(0, density.GetLength(0)).Select(i => density[i, 0]).ToArray();
        return JsonSerializer.Serialize(extras);
    }
}
