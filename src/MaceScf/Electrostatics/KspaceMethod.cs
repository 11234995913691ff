namespace MaceScf.Electrostatics;

/// <summary>How the reciprocal-space part of the periodic methods is evaluated (`--kspace_method`).</summary>
public enum KspaceMethod
{
    /// <summary>
    /// Direct sum over all reciprocal-lattice vectors with |k| ≤ k_c: O(N·K), the exact reference.
    /// </summary>
    Ewald,
    /// <summary>
    /// Particle-mesh Ewald: multipoles spread on a grid with B-splines, FFT; O(N·order³ + grid log grid).
    /// </summary>
    Pme,
    /// <summary>
    /// Ewald below <see cref="KspaceMethodNames.AutoPmeThreshold"/> atoms per structure, PME from there on; in the SCF of a
    /// fixed-point model, whose geometry-lifetime tables serve tens of evaluations, below
    /// <see cref="KspaceMethodNames.ScfAutoPmeThreshold"/> atoms.
    /// </summary>
    Auto,
}

/// Conversion between <see cref="KspaceMethod"/> and the command-line spelling.
internal static class KspaceMethodNames
{
    /// Atoms per structure from which `auto` uses PME for one evaluation per geometry (the measured crossover of
    /// docs/benchmarks.md, "Particle-mesh Ewald").
    public const int AutoPmeThreshold = 1000;

    /// Atoms per structure from which `auto` uses PME in the SCF of a fixed-point model: the direct sum's cos/sin tables are
    /// built once per geometry and serve its tens of field evaluations, and the SCF's crossover lies between 1,728 and 2,197
    /// atoms (docs/benchmarks.md, "The Ewald/PME crossover inside an SCF").
    public const int ScfAutoPmeThreshold = 2000;

    public static KspaceMethod Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "ewald" => KspaceMethod.Ewald,
        "pme" => KspaceMethod.Pme,
        "auto" => KspaceMethod.Auto,
        _ => throw new ArgumentException($"unknown kspace method '{name}'; expected ewald, pme or auto", nameof(name)),
    };

    public static string ToName(this KspaceMethod method) => method switch
    {
        KspaceMethod.Ewald => "ewald",
        KspaceMethod.Pme => "pme",
        KspaceMethod.Auto => "auto",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };

    /// The method used for a structure of <paramref name="atomCount"/> atoms; `auto` uses PME from <paramref name="threshold"/> atoms on.
    public static KspaceMethod Resolve(this KspaceMethod method, int atomCount, int threshold = AutoPmeThreshold) =>
        method != KspaceMethod.Auto ? method : atomCount >= threshold ? KspaceMethod.Pme : KspaceMethod.Ewald;
}
