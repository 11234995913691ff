namespace MaceScf.Driver;

/// A structure sent by the server (POSDATA), in Å.
/// <param name="Cell">lattice vectors as rows (ASE convention), [3, 3]; all zeros when the server has no cell</param>
/// <param name="Positions">[N, 3]</param>
internal sealed record IpiGeometry(double[,] Cell, double[,] Positions)
{
    public int AtomCount => Positions.GetLength(0);
}

/// What the driver returns for a structure (FORCEREADY), in eV and Å.
/// <param name="Energy">the potential energy (eV)</param>
/// <param name="Forces">[N, 3] eV/Å</param>
/// <param name="Virial">[3, 3] eV, −∂E/∂ε = −V σ (zeros for a structure without a periodic cell)</param>
/// <param name="Extras">the protocol's free-form string after the virial (a JSON object such as {"dipole": [...]}), or empty</param>
internal sealed record IpiResult(double Energy, double[,] Forces, double[,] Virial, string Extras = "");
