namespace MaceScf.Equivariant;

/// An irreducible representation (l, p) of O(3): degree l ≥ 0, parity p = ±1 ("0e", "1o", …).
/// Ordering follows e3nn: by l, then p with p = −1 before p = +1.
internal readonly record struct Irrep(int L, int P) : IComparable<Irrep>
{
    public int Dim => 2 * L + 1;

    public static Irrep Parse(string text)
    {
        var s = text.Trim();
        if (s.Length < 2) throw new FormatException($"Bad irrep '{text}'.");
        if (!int.TryParse(s[..^1], out int l) || l < 0) throw new FormatException($"Bad irrep degree in '{text}'.");
        int p = s[^1] switch
        {
            'e' => 1,
            'o' => -1,
            'y' => l % 2 == 0 ? 1 : -1, // e3nn's spherical-harmonic parity (−1)^l
            _ => throw new FormatException($"Bad irrep parity in '{text}'."),
        };
        return new Irrep(l, p);
    }

    /// The irrep of the spherical harmonics of degree l: (l, (−1)^l).
    public static Irrep SphericalHarmonic(int l) => new(l, l % 2 == 0 ? 1 : -1);

    /// Irreps in the decomposition of this ⊗ other: (l, p1·p2) for |l1−l2| ≤ l ≤ l1+l2, increasing l.
    public IEnumerable<Irrep> Times(Irrep other)
    {
        for (int l = Math.Abs(L - other.L); l <= L + other.L; l++)
            yield return new Irrep(l, P * other.P);
    }

    public int CompareTo(Irrep other) => L != other.L ? L.CompareTo(other.L) : P.CompareTo(other.P);

    public override string ToString() => $"{L}{(P == 1 ? 'e' : 'o')}";
}

/// A segment "mul x ir" of an <see cref="Irreps"/>.
internal readonly record struct MulIrrep(int Mul, Irrep Ir)
{
    public int Dim => Mul * Ir.Dim;

    public override string ToString() => $"{Mul}x{Ir}";
}
