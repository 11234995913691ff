namespace MaceScf.Electrostatics;

/// <summary>
/// How the electrostatics treat the boundaries (`--electrostatic_pbc_method`); docs/math.md, "Boundary corrections".
/// </summary>
public enum BoundaryMethod
{
    /// <summary>Open boundaries: analytic pair sums between Gaussians, no cell used.</summary>
    Realspace,
    /// <summary>Fully periodic reciprocal-space sum with a neutralising background (tin-foil).</summary>
    Pbc,
    /// <summary>
    /// Periodic in x and y, vacuum along z: reciprocal-space sum plus the dipole correction along z.
    /// </summary>
    Slab,
    /// <summary>
    /// Finite system in a periodic box: reciprocal-space sum plus the Makov–Payne/Dabo correction.
    /// </summary>
    MoleculeInBox,
    /// <summary>Per structure from its pbc flags: FFF → molecule_in_box, TTF → slab, anything else → pbc.</summary>
    MixedPeriodic,
    /// <summary>mixed_periodic if any structure of the batch has a periodic direction, else realspace.</summary>
    Auto,
}

/// Conversion between <see cref="BoundaryMethod"/> and the command-line spelling.
internal static class BoundaryMethodNames
{
    public static BoundaryMethod Parse(string name) => name.Trim().ToLowerInvariant() switch
    {
        "realspace" => BoundaryMethod.Realspace,
        "pbc" => BoundaryMethod.Pbc,
        "slab" => BoundaryMethod.Slab,
        "molecule_in_box" => BoundaryMethod.MoleculeInBox,
        "mixed_periodic" => BoundaryMethod.MixedPeriodic,
        "auto" => BoundaryMethod.Auto,
        _ => throw new ArgumentException(
            $"unknown electrostatic pbc method '{name}'; expected realspace, pbc, slab, molecule_in_box, mixed_periodic or auto",
            nameof(name)),
    };

    public static string ToName(this BoundaryMethod method) => method switch
    {
        BoundaryMethod.Realspace => "realspace",
        BoundaryMethod.Pbc => "pbc",
        BoundaryMethod.Slab => "slab",
        BoundaryMethod.MoleculeInBox => "molecule_in_box",
        BoundaryMethod.MixedPeriodic => "mixed_periodic",
        BoundaryMethod.Auto => "auto",
        _ => throw new ArgumentOutOfRangeException(nameof(method)),
    };
}
