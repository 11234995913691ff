namespace MaceScf.Calculators;

/// <summary>
/// Where each SCF of a calculator called step after step (an MD run, `--warm_start`, docs/md.md) starts: from the SCF options' starting point, or from the converged
/// density and Fermi level of the previous steps, extrapolated in time as Born–Oppenheimer MD codes do.
/// </summary>
public enum WarmStart
{
    /// <summary>Every step from the SCF options' initial density and Fermi level (`--no-warm-start`).</summary>
    None,
    /// <summary>The previous step's density and Fermi level.</summary>
    Last,
    /// <summary>2 y(t−1) − y(t−2): exact for densities that change linearly in time.</summary>
    Linear,
    /// <summary>3 y(t−1) − 3 y(t−2) + y(t−3): exact for quadratic change.</summary>
    Quadratic,
}

/// The option spelling of <see cref="WarmStart"/> and the extrapolation coefficients.
internal static class WarmStartNames
{
    public static WarmStart Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "none" => WarmStart.None,
        "last" => WarmStart.Last,
        "linear" => WarmStart.Linear,
        "quadratic" => WarmStart.Quadratic,
        _ => throw new ArgumentException($"Unknown warm_start '{text}'. Valid values: none, last, linear, quadratic."),
    };

    public static string Name(WarmStart warmStart) => warmStart.ToString().ToLowerInvariant();

    /// Weights of the last steps, newest first, for <paramref name="available"/> stored steps (fewer steps lower the order).
    /// They sum to 1, so an extrapolated density keeps the total charge every stored density has.
    public static double[] Coefficients(WarmStart warmStart, int available) => Math.Min(available, Order(warmStart) + 1) switch
    {
        0 => [],
        1 => [1.0],
        2 => [2.0, -1.0],
        _ => [3.0, -3.0, 1.0],
    };

    /// The number of previous steps the extrapolation uses, minus one (0 for none and last).
    public static int Order(WarmStart warmStart) => warmStart switch
    {
        WarmStart.Linear => 1,
        WarmStart.Quadratic => 2,
        _ => 0,
    };
}
