namespace MaceScf.Data;

/// Collects the values of one Properties entry while a frame's atom lines are read, then
/// hands them out as [N] (width 1) or [N, width] arrays.
internal abstract class ColumnStore(PropertyColumn column, int atomCount)
{
    public PropertyColumn Column { get; } = column;

    protected int AtomCount { get; } = atomCount;

    /// Stores the token for (atom, component); false if it does not parse.
    public abstract bool TryStore(ReadOnlySpan<char> token, int atom, int component);

    public abstract Array ToArray();

    public virtual string ExpectedText => Column.Type switch
    {
        ColumnType.Real => "a real number",
        ColumnType.Integer => "an integer",
        ColumnType.Logical => "a logical (T or F)",
        _ => "a string",
    };

    /// Storage grows with the atom lines actually read, so a corrupt huge atom count fails as a
    /// truncated frame instead of exhausting memory.
    protected static T[] Grown<T>(T[] values, int needed)
    {
        if (needed <= values.Length) return values;
        Array.Resize(ref values, Math.Max(needed, 2 * values.Length));
        return values;
    }

    protected static T[] InitialStorage<T>(int atomCount, int width) => new T[Math.Min(atomCount, 4096) * width];

    /// The first <paramref name="length"/> values, copied only when the storage is larger.
    protected static T[] Exact<T>(T[] values, int length) => values.Length == length ? values : values[..length];

    public static ColumnStore Create(PropertyColumn column, int atomCount) => column.Type switch
    {
        ColumnType.Real => new PrimitiveStore<double>(column, atomCount, ExtXyzNumbers.TryParseDouble),
        ColumnType.Integer => new PrimitiveStore<long>(column, atomCount, ExtXyzNumbers.TryParseLong),
        ColumnType.Logical => new PrimitiveStore<bool>(column, atomCount, ExtXyzNumbers.TryParseBool),
        _ => new StringStore(column, atomCount),
    };
}

internal delegate bool SpanParser<T>(ReadOnlySpan<char> text, out T value);

internal sealed class PrimitiveStore<T>(PropertyColumn column, int atomCount, SpanParser<T> parse)
    : ColumnStore(column, atomCount) where T : unmanaged
{
    private T[] _values = InitialStorage<T>(atomCount, column.Width);

    public override bool TryStore(ReadOnlySpan<char> token, int atom, int component)
    {
        int index = atom * Column.Width + component;
        _values = Grown(_values, index + 1);
        return parse(token, out _values[index]);
    }

    public override Array ToArray()
    {
        var values = Exact(_values, AtomCount * Column.Width);
        if (Column.Width == 1) return values;
        var shaped = new T[AtomCount, Column.Width];
        Buffer.BlockCopy(values, 0, shaped, 0, Buffer.ByteLength(values));
        return shaped;
    }
}

internal sealed class StringStore(PropertyColumn column, int atomCount) : ColumnStore(column, atomCount)
{
    private string[] _values = InitialStorage<string>(atomCount, column.Width);

    public override bool TryStore(ReadOnlySpan<char> token, int atom, int component)
    {
        int index = atom * Column.Width + component;
        _values = Grown(_values, index + 1);
        _values[index] = token.ToString();
        return true;
    }

    public override Array ToArray()
    {
        if (Column.Width == 1) return Exact(_values, AtomCount);
        var shaped = new string[AtomCount, Column.Width];
        for (int i = 0; i < AtomCount; i++)
            for (int j = 0; j < Column.Width; j++) shaped[i, j] = _values[i * Column.Width + j];
        return shaped;
    }
}

/// The species column: element symbols (or atomic numbers written as integers) → Z.
internal sealed class SpeciesStore(PropertyColumn column, int atomCount) : ColumnStore(column, atomCount)
{
    private int[] _atomicNumbers = InitialStorage<int>(atomCount, 1);

    public int[] AtomicNumbers => Exact(_atomicNumbers, AtomCount);

    public override bool TryStore(ReadOnlySpan<char> token, int atom, int component)
    {
        if (PeriodicTable.TryGetAtomicNumber(token, out int z)
            || (int.TryParse(token, out z) && z >= 1 && z <= PeriodicTable.MaxAtomicNumber))
        {
            _atomicNumbers = Grown(_atomicNumbers, atom + 1);
            _atomicNumbers[atom] = z;
            return true;
        }
        return false;
    }

    public override string ExpectedText => "an element symbol (H ... Og, case-sensitive) or an atomic number 1-118";

    public override Array ToArray() => AtomicNumbers;
}
