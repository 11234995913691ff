namespace MaceScf.Data;

/// The Cartesian mask of a dipole label given without config_dipole_weight (docs/extxyz.md): 1 along each axis that no
/// periodic lattice vector has a component along, since a dipole component along a periodic direction depends on which
/// periodic images are taken. A frame without a periodic direction gets 1 1 1, a slab periodic in x and y 0 0 1, bulk 0 0 0.
internal static class DipoleMask
{
    /// Relative size below which a lattice vector's Cartesian component counts as zero.
    public const double Tolerance = 1e-8;

    public static double[] Default(Configuration configuration)
    {
        var mask = new[] { 1.0, 1.0, 1.0 };
        if (configuration.Cell is not { } cell) return mask;
        for (int v = 0; v < 3; v++)
        {
            if (!configuration.Pbc[v]) continue;
            double norm = Math.Sqrt(cell[v, 0] * cell[v, 0] + cell[v, 1] * cell[v, 1] + cell[v, 2] * cell[v, 2]);
            for (int a = 0; a < 3; a++)
                if (Math.Abs(cell[v, a]) > Tolerance * norm) mask[a] = 0;
        }
        return mask;
    }
}
