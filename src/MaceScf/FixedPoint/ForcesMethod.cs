namespace MaceScf.FixedPoint;

/// <summary>How forces and stress differentiate the SCF solution (`forces_method`).</summary>
public enum ForcesMethod
{
    /// <summary>
    /// Converge without a graph, then differentiate the fixed point p = F(p) implicitly (one adjoint solve): the derivative of
    /// the converged solution. A batch that did not converge, or whose implicit solve is poor, falls back to the unroll.
    /// </summary>
    Implicit,
    /// <summary>
    /// Differentiate through every SCF update kept on the graph: the exact derivative of the (possibly unconverged) SCF that was
    /// run, as the Python implementation does with use_autograd_forces.
    /// </summary>
    Unroll,
}

/// The option spelling of <see cref="ForcesMethod"/>: implicit | unroll.
internal static class ForcesMethodNames
{
    public static ForcesMethod Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "implicit" => ForcesMethod.Implicit,
        "unroll" => ForcesMethod.Unroll,
        _ => throw new ArgumentException($"Unknown forces_method '{text}'. Valid values: implicit, unroll."),
    };

    public static string Name(ForcesMethod method) => method == ForcesMethod.Implicit ? "implicit" : "unroll";
}
