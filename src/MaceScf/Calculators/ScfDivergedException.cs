using MaceScf.FixedPoint;

namespace MaceScf.Calculators;

/// <summary>
/// The SCF of a structure failed (<see cref="ScfResult.Failed"/>): its energy and forces are not a solution and are not
/// handed out.
/// </summary>
public class ScfFailedException(string message, CalculatorResults results) : Exception(message)
{
    /// <summary>The failed run (status, steps and history), for reporting.</summary>
    public CalculatorResults Results { get; } = results;

    /// Throws the exception that describes failed results: <see cref="ScfDivergedException"/> for a diverged SCF, this one
    /// for a density that does not respond to the Fermi level at constant charge.
    internal static void ThrowIfFailed(CalculatorResults results)
    {
        if (results.Status == ScfStatus.Diverged) throw ScfDivergedException.For(results);
        if (results.Status == ScfStatus.NoChargeResponse)
            throw new ScfFailedException($"the density does not respond to the Fermi level (μ {results.FermiLevel:F1} V), so the "
                + "constant-charge SCF cannot reach the total charge (use --constant_charge false)", results);
    }
}

/// <summary>The SCF of a structure diverged.</summary>
public sealed class ScfDivergedException(string message, CalculatorResults results) : ScfFailedException(message, results)
{
    /// <summary>The exception for diverged results: how many updates and the last mean |Δp|.</summary>
    internal static ScfDivergedException For(CalculatorResults results) => new(
        $"the SCF diverged after {results.Steps} update(s) (last mean |Δp| {(results.History.Length == 0 ? double.NaN : results.History[^1]):E2})",
        results);
}
