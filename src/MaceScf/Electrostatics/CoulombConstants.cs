namespace MaceScf.Electrostatics;

/// Physical constants in the library's units (Å, e, eV, V); docs/math.md, "Units and conventions".
internal static class CoulombConstants
{
    /// 1/ε0 in eV·Å/e².
    public const double FieldConstant = 180.95128022746667;

    /// k_e = 1/(4π ε0) in eV·Å/e².
    public const double CoulombConstant = 14.399645353504033;

    /// Madelung constant of a simple cubic lattice of point charges in a neutralising background
    /// (the Makov–Payne monopole term of the molecule-in-box correction).
    public const double CubicMadelung = 2.837297;
}
