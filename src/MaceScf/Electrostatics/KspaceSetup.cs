namespace MaceScf.Electrostatics;

/// How the reciprocal-space part of one periodic structure is evaluated, for logs and outputs.
/// <param name="Method">The resolved method, ewald or pme.</param>
/// <param name="KVectorCount">Half-space k-vectors (ewald) or half-spectrum grid wave vectors (pme).</param>
/// <param name="Cutoff">k_c (Å⁻¹) of the direct sum; null for pme.</param>
/// <param name="Grid">Grid points along the three lattice vectors; null for ewald.</param>
/// <param name="Mesh">Spline order, largest spacing and estimated error of the mesh; null for ewald.</param>
internal sealed record KspaceSetup(KspaceMethod Method, int KVectorCount, double? Cutoff, IReadOnlyList<long>? Grid, MeshParameters? Mesh)
{
    /// "ewald, k_c 3.4 1/Å, 1234 k-vectors" or "pme, grid 40x40x40, order 8, spacing ≤ 0.706 Å, estimated error 1.0E-006".
    public override string ToString() => Method == KspaceMethod.Pme
        ? $"pme, grid {string.Join("x", Grid!)}, order {Mesh!.Order}, spacing <= {Mesh.Spacing:F3} Å, estimated error {Mesh.EstimatedError:E1}"
        : $"ewald, k_c {Cutoff:F4} 1/Å, {KVectorCount} k-vectors";
}
