using System.Text.Json.Nodes;
using MaceScf.Data;

namespace MaceScf.Tests.Data;

/// Compares ASE's reading of an extxyz file (ase_interop.py's JSON) with our frames: species, positions, cell, pbc, info and
/// per-atom arrays, with the same types, shapes and bits.
public static class AseComparison
{
    private static List<JsonNode> Frames(string json) => JsonNode.Parse(File.ReadAllText(json))!.AsArray().Select(f => f!).ToList();

    /// ASE's reading of <paramref name="path"/> equals <paramref name="ours"/>.
    public static void AssertAseReads(string path, IReadOnlyList<Configuration> ours, string folder)
    {
        string json = Path.Combine(folder, Path.GetFileName(path) + ".ase.json");
        AsePython.Run("read", path, json);
        AssertSameFrames(json, ours);
    }

    /// The frames ase_interop.py described in <paramref name="json"/> equal <paramref name="ours"/>.
    public static void AssertSameFrames(string json, IReadOnlyList<Configuration> ours)
    {
        var ase = Frames(json);
        Assert.Equal(ase.Count, ours.Count);
        for (int f = 0; f < ours.Count; f++)
        {
            var (theirs, mine) = (ase[f], ours[f]);
            Assert.Equal(theirs["numbers"]!.AsArray().Select(z => z!.GetValue<int>()), mine.AtomicNumbers);
            AssertSame($"frame {f} positions", TaggedValue.FromJson(theirs["positions"]!), mine.Positions);
            // ASE's cell without a Lattice is all zeros.
            AssertSame($"frame {f} cell", TaggedValue.FromJson(theirs["cell"]!), mine.Cell ?? new double[3, 3]);
            Assert.Equal(theirs["pbc"]!.AsArray().Select(p => p!.GetValue<bool>()), mine.Pbc);
            var info = theirs["info"]!.AsObject();
            Assert.Equal(info.Select(kv => kv.Key), mine.Info.Keys);
            foreach (var (key, value) in mine.Info)
                AssertSame($"frame {f} info {key}", TaggedValue.FromJson(info[key]!), key is "stress" or "virial" ? AsMatrix(value) : value);
            var arrays = theirs["arrays"]!.AsObject();
            Assert.Equal(arrays.Select(kv => kv.Key).Order(), mine.Arrays.Keys.Select(AseArrayName).Order());
            foreach (var (key, value) in mine.Arrays)
                AssertSame($"frame {f} array {key}", TaggedValue.FromJson(arrays[AseArrayName(key)]!), value);
        }
    }

    /// ASE reads a `charges` column into the Atoms' initial_charges (docs/extxyz.md).
    private static string AseArrayName(string key) => key == "charges" ? "initial_charges" : key;

    /// ASE reshapes a 9-element stress or virial to 3×3 in column-major (Fortran) order; we keep the 9-vector
    /// (docs/extxyz.md). The test's stress is not symmetric, so the order is checked.
    private static object AsMatrix(object value)
    {
        var flat = Assert.IsType<double[]>(value);
        var matrix = new double[3, 3];
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++) matrix[i, j] = flat[3 * j + i];
        return matrix;
    }

    private static void AssertSame(string what, TaggedValue ase, object ours)
    {
        string? difference = ase.Difference(TaggedValue.FromOurs(ours));
        Assert.True(difference is null, $"{what}: ASE vs MaceScf: {difference}");
    }
}
