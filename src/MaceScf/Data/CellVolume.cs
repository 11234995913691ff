namespace MaceScf.Data;

/// det(cell) of a 3×3 cell whose rows are lattice vectors: the signed volume (Å³).
internal static class CellVolume
{
    public static double Of(double[,] cell) =>
        cell[0, 0] * (cell[1, 1] * cell[2, 2] - cell[1, 2] * cell[2, 1])
        - cell[0, 1] * (cell[1, 0] * cell[2, 2] - cell[1, 2] * cell[2, 0])
        + cell[0, 2] * (cell[1, 0] * cell[2, 1] - cell[1, 1] * cell[2, 0]);
}
