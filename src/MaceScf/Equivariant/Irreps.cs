namespace MaceScf.Equivariant;

/// An ordered list of segments "mul x (l,p)", e.g. "32x0e+32x1o". A feature vector with these irreps is
/// laid out "mul_ir": each segment is a contiguous block of mul·(2l+1) numbers, channel-major, m-minor.
internal sealed class Irreps : IEquatable<Irreps>
{
    private readonly MulIrrep[] _segments;

    public Irreps(IEnumerable<MulIrrep> segments)
    {
        _segments = segments.ToArray();
        foreach (var s in _segments)
            if (s.Mul < 0) throw new ArgumentException("Negative multiplicity.");
    }

    public Irreps(IEnumerable<Irrep> irreps) : this(irreps.Select(ir => new MulIrrep(1, ir))) { }

    /// Parses "32x0e + 32x1o" (a missing "Nx" means 1; an empty string gives no segments).
    public static Irreps Parse(string text)
    {
        var segments = new List<MulIrrep>();
        foreach (var raw in text.Split('+', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            int x = raw.IndexOf('x');
            if (x < 0) { segments.Add(new MulIrrep(1, Irrep.Parse(raw))); continue; }
            if (!int.TryParse(raw[..x], out int mul)) throw new FormatException($"Bad multiplicity in '{raw}'.");
            segments.Add(new MulIrrep(mul, Irrep.Parse(raw[(x + 1)..])));
        }
        return new Irreps(segments);
    }

    public static implicit operator Irreps(string text) => Parse(text);

    /// 1x0e+1x1o+1x2e+… up to lmax: the irreps of the spherical harmonics.
    public static Irreps SphericalHarmonics(int lmax) =>
        new(Enumerable.Range(0, lmax + 1).Select(Irrep.SphericalHarmonic));

    public IReadOnlyList<MulIrrep> Segments => _segments;

    public int Count => _segments.Length;

    public MulIrrep this[int i] => _segments[i];

    public int Dim => _segments.Sum(s => s.Dim);

    /// Total multiplicity Σ mul.
    public int NumIrreps => _segments.Sum(s => s.Mul);

    public int Lmax => _segments.Length == 0 ? throw new InvalidOperationException("Empty irreps.") : _segments.Max(s => s.Ir.L);

    /// Total multiplicity of one irrep.
    public int CountOf(Irrep ir) => _segments.Where(s => s.Ir == ir).Sum(s => s.Mul);

    public bool Contains(Irrep ir) => _segments.Any(s => s.Ir == ir);

    /// Start offset of each segment in the flat feature vector (length Count + 1, last = Dim).
    public int[] Offsets()
    {
        var o = new int[_segments.Length + 1];
        for (int i = 0; i < _segments.Length; i++) o[i + 1] = o[i] + _segments[i].Dim;
        return o;
    }

    public (int Start, int Length)[] Slices()
    {
        var o = Offsets();
        return _segments.Select((s, i) => (o[i], s.Dim)).ToArray();
    }

    /// Stable sort by (l, p). Inv[i] is the new position of old segment i, Perm[j] the old index of new segment j.
    public (Irreps Sorted, int[] Perm, int[] Inv) Sort()
    {
        var perm = Enumerable.Range(0, _segments.Length).OrderBy(i => _segments[i].Ir).ToArray();
        var inv = new int[perm.Length];
        for (int j = 0; j < perm.Length; j++) inv[perm[j]] = j;
        return (new Irreps(perm.Select(i => _segments[i])), perm, inv);
    }

    /// Merges adjacent segments of the same irrep and drops empty ones.
    public Irreps Simplify()
    {
        var outList = new List<MulIrrep>();
        foreach (var s in _segments)
        {
            if (s.Mul == 0) continue;
            if (outList.Count > 0 && outList[^1].Ir == s.Ir) outList[^1] = new MulIrrep(outList[^1].Mul + s.Mul, s.Ir);
            else outList.Add(s);
        }
        return new Irreps(outList);
    }

    /// List repetition (e3nn's `irreps * n`).
    public Irreps Repeat(int times) => new(Enumerable.Repeat(_segments, times).SelectMany(s => s));

    public static Irreps operator +(Irreps a, Irreps b) => new(a._segments.Concat(b._segments));

    /// Every segment's multiplicity multiplied by <paramref name="mul"/> (e.g. SH irreps → 32x0e+32x1o+…).
    public Irreps WithMultiplicity(int mul) => new(_segments.Select(s => new MulIrrep(mul, s.Ir)));

    /// Multiplicity shared by all segments, or null when they differ.
    public int? UniformMultiplicity()
    {
        if (_segments.Length == 0) return null;
        int m = _segments[0].Mul;
        return _segments.All(s => s.Mul == m) ? m : null;
    }

    public bool Equals(Irreps? other) => other is not null && _segments.SequenceEqual(other._segments);

    public override bool Equals(object? obj) => obj is Irreps o && Equals(o);

    public override int GetHashCode() => _segments.Aggregate(17, (h, s) => h * 31 + s.GetHashCode());

    public override string ToString() => string.Join("+", _segments.Select(s => s.ToString()));
}
