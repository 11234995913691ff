using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Data;

/// The model's elements (MACE's z_table): sorted unique atomic numbers, each mapped to its position.
internal sealed class SpeciesTable
{
    private readonly Dictionary<int, int> _index = new();

    public SpeciesTable(IEnumerable<int> atomicNumbers)
    {
        var sorted = atomicNumbers.Distinct().Order().ToArray();
        if (sorted.Length == 0) throw new ArgumentException("a species table needs at least one element", nameof(atomicNumbers));
        if (sorted[0] < 1) throw new ArgumentException($"atomic numbers must be positive, got {sorted[0]}", nameof(atomicNumbers));
        AtomicNumbers = sorted;
        for (int i = 0; i < sorted.Length; i++) _index[sorted[i]] = i;
    }

    /// The table of every element that occurs in the given configurations.
    public static SpeciesTable FromConfigurations(IEnumerable<Configuration> configurations) =>
        new(configurations.SelectMany(c => c.AtomicNumbers));

    public IReadOnlyList<int> AtomicNumbers { get; }

    public int Count => AtomicNumbers.Count;

    public int IndexOf(int atomicNumber) =>
        _index.TryGetValue(atomicNumber, out int index)
            ? index
            : throw new ArgumentException($"element Z={atomicNumber} is not in the species table [{string.Join(", ", AtomicNumbers)}]", nameof(atomicNumber));

    /// Throws an <see cref="InvalidDataException"/> naming the file, frame, elements and atoms of <paramref name="frame"/> that
    /// are not in the table (the model's elements).
    public void RequireKnown(Configuration frame)
    {
        var unknown = Enumerable.Range(0, frame.AtomCount).Where(i => !_index.ContainsKey(frame.AtomicNumbers[i])).ToArray();
        if (unknown.Length == 0) return;
        var elements = unknown.Select(i => frame.AtomicNumbers[i]).Distinct().Select(PeriodicTable.Symbol);
        throw new InvalidDataException($"{frame.DescribeOrigin()}: element(s) {string.Join(", ", elements)} not in the model's species "
            + $"({string.Join(", ", AtomicNumbers.Select(PeriodicTable.Symbol))}), atom(s) {string.Join(", ", unknown.Take(5))}"
            + $"{(unknown.Length > 5 ? ", …" : "")}; remove the frame, or use a model trained with these elements");
    }

    /// One-hot node attributes [N, Count] from species indices [N] (int64).
    public Tensor OneHot(Tensor speciesIndex, ScalarType dtype = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        return nn.functional.one_hot(speciesIndex, Count).to_type(dtype).MoveToOuterDisposeScope();
    }
}
