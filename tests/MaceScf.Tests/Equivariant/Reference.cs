using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

/// The e3nn 0.4.4 reference tables and small numeric helpers shared by the equivariance tests.
internal static class Reference
{
    public static JsonElement Load(string file) =>
        JsonDocument.Parse(File.ReadAllText(TestData.Path("e3nn-0.4.4", file))).RootElement;

    /// Flattens a nested JSON array of numbers (row-major).
    public static double[] Flatten(JsonElement e)
    {
        var list = new List<double>();
        void Walk(JsonElement x)
        {
            if (x.ValueKind == JsonValueKind.Array) foreach (var c in x.EnumerateArray()) Walk(c);
            else list.Add(x.GetDouble());
        }
        Walk(e);
        return list.ToArray();
    }

    public static long[] Shape(JsonElement e) => e.EnumerateArray().Select(x => (long)x.GetInt32()).ToArray();

    public static double MaxAbs(Tensor t) => t.abs().max().item<double>();

    public static double MaxDiff(Tensor a, Tensor b) => (a - b).abs().max().item<double>();

    /// Random orthogonal matrix: a random rotation, negated when <paramref name="improper"/>.
    public static Tensor Orthogonal(System.Random rng, bool improper)
    {
        var r = MaceScf.Equivariant.Rotations.Random(rng);
        return improper ? -r : r;
    }

    public static Tensor Randn(long[] shape, int seed)
    {
        var g = new Generator(unchecked((ulong)seed));
        return torch.randn(shape, dtype: ScalarType.Float64, generator: g);
    }
}
