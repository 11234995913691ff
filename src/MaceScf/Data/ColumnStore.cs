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
    private readonly T[] _values = new T[atomCount * column.Width];

    public override bool TryStore(ReadOnlySpan<char> token, int atom, int component) =>
        parse(token, out _values[atom * Column.Width + component]);

    public override Array ToArray()
    {
        if (Column.Width == 1) return _values;
        var shaped = new T[AtomCount, Column.Width];
        Buffer.BlockCopy(_values, 0, shaped, 0, Buffer.ByteLength(_values));
        return shaped;
    }
}

internal sealed class StringStore(PropertyColumn column, int atomCount) : ColumnStore(column, atomCount)
{
    private readonly string[] _values = new string[atomCount * column.Width];

    public override bool TryStore(ReadOnlySpan<char> token, int atom, int component)
    {
        _values[atom * Column.Width + component] = token.ToString();
        return true;
    }

    public override Array ToArray()
    {
        if (Column.Width == 1) return _values;
        var shaped = new string[AtomCount, Column.Width];
        for (int i = 0; i < AtomCount; i++)
            for (int j = 0; j < Column.Width; j++) shaped[i, j] = _values[i * Column.Width + j];
        return shaped;
    }
}

/// The species column: element symbols (or atomic numbers written as integers) → Z.
internal sealed class SpeciesStore(PropertyColumn column, int atomCount) : ColumnStore(column, atomCount)
{
    public int[] AtomicNumbers { get; } = new int[atomCount];

    public override bool TryStore(ReadOnlySpan<char> token, int atom, int component)
    {
        if (PeriodicTable.TryGetAtomicNumber(token, out int z)
            || (int.TryParse(token, out z) && z >= 1 && z <= PeriodicTable.MaxAtomicNumber))
        {
            AtomicNumbers[atom] = z;
            return true;
        }
        return false;
    }

    public override string ExpectedText => "an element symbol (H ... Og, case-sensitive) or an atomic number 1-118";

    public override Array ToArray() => AtomicNumbers;
}
