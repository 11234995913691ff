namespace MaceScf.Driver;

/// The atomic units of the i-PI wire (Bohr, Hartree) in the library's Å and eV. The values are CODATA 2014, those of
/// ase.units (ASE ≥ 3.18), so positions and energies round-trip exactly through ASE's SocketIOCalculator; i-PI's own
/// tables (1 Å = 1.8897261 Bohr, 1 eV = 0.036749326 Ha) differ from them by less than 1e-8 relative.
internal static class IpiUnits
{
    /// Å per Bohr.
    public const double Bohr = 0.5291772105638411;

    /// eV per Hartree.
    public const double Hartree = 27.211386024367243;
}
