namespace MaceScf.Data;

/// Element symbols and atomic numbers, Z = 1..118, plus ASE's dummy atom "X" (Z = 0).
internal static class PeriodicTable
{
    public const int MaxAtomicNumber = 118;

    private static readonly string[] Symbols =
    [
        "X",
        "H", "He",
        "Li", "Be", "B", "C", "N", "O", "F", "Ne",
        "Na", "Mg", "Al", "Si", "P", "S", "Cl", "Ar",
        "K", "Ca", "Sc", "Ti", "V", "Cr", "Mn", "Fe", "Co", "Ni", "Cu", "Zn", "Ga", "Ge", "As", "Se", "Br", "Kr",
        "Rb", "Sr", "Y", "Zr", "Nb", "Mo", "Tc", "Ru", "Rh", "Pd", "Ag", "Cd", "In", "Sn", "Sb", "Te", "I", "Xe",
        "Cs", "Ba", "La", "Ce", "Pr", "Nd", "Pm", "Sm", "Eu", "Gd", "Tb", "Dy", "Ho", "Er", "Tm", "Yb", "Lu",
        "Hf", "Ta", "W", "Re", "Os", "Ir", "Pt", "Au", "Hg", "Tl", "Pb", "Bi", "Po", "At", "Rn",
        "Fr", "Ra", "Ac", "Th", "Pa", "U", "Np", "Pu", "Am", "Cm", "Bk", "Cf", "Es", "Fm", "Md", "No", "Lr",
        "Rf", "Db", "Sg", "Bh", "Hs", "Mt", "Ds", "Rg", "Cn", "Nh", "Fl", "Mc", "Lv", "Ts", "Og",
    ];

    private static readonly Dictionary<string, int> NumberBySymbol =
        Symbols.Select((symbol, z) => (symbol, z)).ToDictionary(p => p.symbol, p => p.z, StringComparer.Ordinal);

    private static readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> NumberBySymbolSpan =
        NumberBySymbol.GetAlternateLookup<ReadOnlySpan<char>>();

    /// The symbol of atomic number z (0 gives "X").
    public static string Symbol(int z) =>
        z >= 0 && z <= MaxAtomicNumber
            ? Symbols[z]
            : throw new ArgumentOutOfRangeException(nameof(z), z, $"atomic numbers run from 0 to {MaxAtomicNumber}");

    /// Looks up a case-sensitive element symbol ("Fe", not "FE").
    public static bool TryGetAtomicNumber(ReadOnlySpan<char> symbol, out int z) =>
        NumberBySymbolSpan.TryGetValue(symbol, out z);
}
