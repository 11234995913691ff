using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// The checks made on a structure's cell before its k-space sum is built: a cell that is finite, right-handed and
/// not degenerate; a k-vector count and memory estimate (<see cref="ElectrostaticsMemory"/>) that fit the machine; and
/// for a molecule in a box far larger than itself, realspace instead of millions of k-vectors.
static class KspaceBudget
{
    /// Lattice points the k-vector search may visit (the parallelepiped around the cutoff sphere).
    public const double SearchLimit = 2e9;

    /// The method to use for this structure (<paramref name="method"/>, or realspace for a small molecule in a huge
    /// box); throws a <see cref="StructureGeometryException"/> saying what to change when the cell cannot be used.
    /// <param name="options">the electrostatics settings</param>
    /// <param name="method">the boundary method resolved for this structure</param>
    /// <param name="positions">[n, 3] the structure's positions (Å)</param>
    /// <param name="cell">[3, 3] its cell, rows are lattice vectors (Å)</param>
    /// <param name="available">bytes of memory available (default: <see cref="ElectrostaticsMemory.AvailableBytes"/>)</param>
    /// <param name="directSum">the k-space part is the direct sum over k-vectors (false for PME: only the cell is checked)</param>
    public static BoundaryMethod Check(ElectrostaticsOptions options, BoundaryMethod method, Tensor positions, Tensor cell,
        Func<double>? available = null, bool directSum = true)
    {
        var a = cell.detach().to_type(ScalarType.Float64).contiguous().data<double>().ToArray();
        string name = method.ToName();
        if (a.Any(x => !double.IsFinite(x)))
            throw new StructureGeometryException($"the cell has non-finite entries ({Format(a)}): the {name} method needs a finite Lattice");
        double volume = Volume(a);
        if (volume == 0)
            throw new StructureGeometryException($"the {name} method needs a cell, and this structure has none (volume 0): give the "
                + "frame a Lattice (for a molecule, a box well larger than it) or use electrostatic_pbc_method realspace (open boundaries)");
        if (!(volume > 0))
            throw new StructureGeometryException($"the cell must be right-handed with positive volume (rows are lattice vectors), got volume {volume:G6} Å³");

        if (!directSum) return method;
        double kc = options.KspaceCutoff;
        double kVectors = ElectrostaticsMemory.KVectorEstimate(volume, kc);
        double[] widths = Widths(a, volume);
        if (method == BoundaryMethod.MoleculeInBox && kVectors > ElectrostaticsMemory.MoleculeInBoxKVectorLimit)
        {
            double extent = Extent(positions) + Reach(options);
            bool realspacePossible = options.DensityMaxL <= 1 && options.FieldFeatureMaxL <= 1;
            if (realspacePossible && widths.Min() >= ElectrostaticsMemory.FarLargerFactor * extent) return BoundaryMethod.Realspace;
            throw new StructureGeometryException(
                $"molecule_in_box would need about {kVectors:G3} k-vectors for this {widths.Min():G4} Å box (more than "
                + $"{ElectrostaticsMemory.MoleculeInBoxKVectorLimit:N0}), and the box is not far larger than the molecule ({extent:G4} Å with the "
                + $"Gaussians' reach{(realspacePossible ? "" : "; realspace supports l ≤ 1 only")}): use a box of about "
                + $"{Math.Max(2 * extent, 30):G3} Å, electrostatic_pbc_method realspace, or a smaller kspace_cutoff_factor (now {options.KspaceCutoffFactor:G})");
        }
        // ReciprocalLattice.HalfSpaceIndices visits |n_i| ≤ ceil(k_c |a_i| / 2π), half of the first range.
        var bounds = Enumerable.Range(0, 3).Select(i => Math.Ceiling(kc * Math.Sqrt(a[3 * i] * a[3 * i] + a[3 * i + 1] * a[3 * i + 1] + a[3 * i + 2] * a[3 * i + 2]) / (2 * Math.PI))).ToArray();
        double search = (bounds[0] + 1) * (2 * bounds[1] + 1) * (2 * bounds[2] + 1);
        string describe = $"the {name} k-space sum of this structure (about {kVectors:G3} k-vectors, cutoff {kc:G4} Å⁻¹, cell volume {volume:G6} Å³)";
        string remedy = method == BoundaryMethod.MoleculeInBox
            ? $"use a smaller box, electrostatic_pbc_method realspace, or a smaller kspace_cutoff_factor (now {options.KspaceCutoffFactor:G})"
            : $"use a smaller cell or a smaller kspace_cutoff_factor (now {options.KspaceCutoffFactor:G}); for a finite system, electrostatic_pbc_method realspace";
        if (kVectors > int.MaxValue / 4 || search > SearchLimit)
            throw new StructureGeometryException($"{describe} is too large{(search > 20 * kVectors ? $" (the cell is so thin or skewed that {search:G3} lattice points would be searched)" : "")}: {remedy}");
        ElectrostaticsMemory.Require(ElectrostaticsMemory.KspaceBytes(kVectors, positions.shape[0], options), describe, remedy, available);
        return method;
    }

    /// Refuses a particle-mesh Ewald sum whose grid would not fit in memory (a huge cell, or a fine accuracy on a large one),
    /// naming the grid, the spline order, the estimate and what to change; the cell itself is checked by <see cref="Check"/>.
    public static void CheckParticleMesh(ElectrostaticsOptions options, BoundaryMethod method, Tensor positions, Tensor cell, MeshParameters mesh,
        Func<double>? available = null)
    {
        var grid = ParticleMeshSum.GridShape(cell, mesh);
        string describe = $"the {method.ToName()} particle-mesh sum of this structure (grid {string.Join("x", grid)}, spline order {mesh.Order}, "
            + $"{positions.shape[0]} atoms)";
        string remedy = $"use a coarser electrostatics_accuracy (now {options.ElectrostaticsAccuracy:G}) or a smaller cell"
            + (method == BoundaryMethod.MoleculeInBox ? " (box)" : "") + "; for a finite system, electrostatic_pbc_method realspace";
        ElectrostaticsMemory.Require(ElectrostaticsMemory.ParticleMeshBytes(grid, positions.shape[0], mesh.Order, options), describe, remedy, available);
    }

    /// Largest distance along x, y or z between two atoms' centres, as the diagonal of their bounding box (Å).
    static double Extent(Tensor positions)
    {
        if (positions.shape[0] == 0) return 0;
        using var scope = NewDisposeScope();
        var x = positions.detach().to_type(ScalarType.Float64);
        return (x.amax(0) - x.amin(0)).norm().item<double>();
    }

    /// Distance beyond which a Gaussian of the density or of the field features is negligible: 6 widths.
    static double Reach(ElectrostaticsOptions options) => 2 * 6 * options.FieldFeatureWidths.Append(options.SmearingWidth).Max();

    /// Ω / |a_j × a_k|: the distance between opposite faces of the cell, one per lattice vector.
    static double[] Widths(double[] a, double volume)
    {
        double[] Row(int i) => [a[3 * i], a[3 * i + 1], a[3 * i + 2]];
        double Cross(double[] u, double[] v) => Math.Sqrt(Math.Pow(u[1] * v[2] - u[2] * v[1], 2) + Math.Pow(u[2] * v[0] - u[0] * v[2], 2)
            + Math.Pow(u[0] * v[1] - u[1] * v[0], 2));
        return [volume / Cross(Row(1), Row(2)), volume / Cross(Row(2), Row(0)), volume / Cross(Row(0), Row(1))];
    }

    static double Volume(double[] a) =>
        a[0] * (a[4] * a[8] - a[5] * a[7]) - a[1] * (a[3] * a[8] - a[5] * a[6]) + a[2] * (a[3] * a[7] - a[4] * a[6]);

    static string Format(double[] a) => string.Join(" ", a.Select(x => x.ToString("G6")));
}
