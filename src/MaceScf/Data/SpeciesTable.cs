using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Data;

/// The model's elements (MACE's z_table): sorted unique atomic numbers, each mapped to its position.
public sealed class SpeciesTable
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

    /// One-hot node attributes [N, Count] from species indices [N] (int64).
    public Tensor OneHot(Tensor speciesIndex, ScalarType dtype = ScalarType.Float64)
    {
        using var scope = NewDisposeScope();
        return nn.functional.one_hot(speciesIndex, Count).to_type(dtype).MoveToOuterDisposeScope();
    }
}
