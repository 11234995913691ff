using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// <summary>How an SCF ended.</summary>
public enum ScfStatus
{
    /// <summary>The mean density change (and, at constant charge, the charge error) fell below the tolerances.</summary>
    Converged,
    /// <summary>A non-finite value, or a density change or charge error above the divergence limits.</summary>
    Diverged,
    /// <summary>The step limit was reached before convergence.</summary>
    MaxStepsReached,
    /// <summary>
    /// Constant charge only: the step limit was reached while the density did not respond to the Fermi level
    /// (|∂Q/∂μ| below <see cref="ScfRunner.SmallResponse"/> at the last update), so no μ can bring the charge to its target.
    /// </summary>
    NoChargeResponse,
}

/// Outcome of an SCF run for a batch of G structures.
/// <param name="Density">[N, K] the final (mixed) density</param>
/// <param name="FermiLevel">[G] the Fermi level the final density was computed with</param>
/// <param name="Features">[N, F] V̂ of the final density at that Fermi level</param>
/// <param name="History">[G, steps] mean |Δp| of every update (convergence_history); a diverged structure is frozen, so its
/// entries after <paramref name="Steps"/> are 0</param>
/// <param name="Status">per structure</param>
/// <param name="Steps">per structure, the number of updates until it converged or diverged (or all that were made)</param>
internal sealed record ScfResult(Tensor Density, Tensor FermiLevel, Tensor Features, Tensor History, IReadOnlyList<ScfStatus> Status,
    IReadOnlyList<int> Steps)
{
    /// [G, S] the Fermi level of every region (slot 0 the electrolyte, slot r electrode r) when the SCF ran with electrodes
    /// (docs/response.md, "Electrodes at a potential difference"); <see cref="FermiLevel"/> is then the electrolyte's.
    public Tensor? RegionFermiLevels { get; init; }

    public bool AllConverged => Status.All(s => s == ScfStatus.Converged);

    /// extxyz / report spelling: converged, diverged, max_steps_reached, no_charge_response.
    public static string Name(ScfStatus status) => status switch
    {
        ScfStatus.Converged => "converged",
        ScfStatus.Diverged => "diverged",
        ScfStatus.NoChargeResponse => "no_charge_response",
        _ => "max_steps_reached",
    };

    /// Diverged, or held at a charge it cannot reach: an answer that must not be used as if the SCF had only run out of steps.
    public static bool Failed(ScfStatus status) => status is ScfStatus.Diverged or ScfStatus.NoChargeResponse;
}
