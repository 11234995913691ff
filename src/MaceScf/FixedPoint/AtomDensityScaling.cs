using TorchSharp;
using System.Globalization;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// --atom_density_scaling for the scaled linear local-density block: "None" (1 for every element), an explicit
/// dictionary "{1: 0.5, 8: 2.0}" (missing elements get 1) or "average" (per-element RMS of the reference multipoles,
/// resolved from training data by <see cref="Average"/>).
internal sealed record AtomDensityScaling
{
    public IReadOnlyDictionary<int, double> Values { get; init; } = new Dictionary<int, double>();

    /// True for "average" before it has been resolved against data.
    public bool IsAverage { get; init; }

    public static AtomDensityScaling None { get; } = new();

    public static AtomDensityScaling Parse(string? text)
    {
        var t = text?.Trim() ?? "None";
        if (t.Length == 0 || t.Equals("none", StringComparison.OrdinalIgnoreCase)) return None;
        if (t.Equals("average", StringComparison.OrdinalIgnoreCase)) return new AtomDensityScaling { IsAverage = true };
        if (!t.StartsWith('{') || !t.EndsWith('}'))
            throw new ArgumentException($"atom_density_scaling must be None, average or a dictionary such as {{1: 0.5, 8: 2.0}}, got '{text}'.");
        var values = new Dictionary<int, double>();
        foreach (var entry in t[1..^1].Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = entry.Split(':', StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || !int.TryParse(kv[0].Trim('\'', '"'), NumberStyles.Integer, CultureInfo.InvariantCulture, out int z)
                || !double.TryParse(kv[1], NumberStyles.Float, CultureInfo.InvariantCulture, out double s))
                throw new ArgumentException($"Cannot read '{entry}' in atom_density_scaling '{text}': expected 'Z: scale'.");
            values[z] = s;
        }
        return new AtomDensityScaling { Values = values };
    }

    /// One scale per element in the model's atomic-number order.
    public double[] Resolve(IReadOnlyList<int> atomicNumbers) => IsAverage
        ? throw new InvalidOperationException("atom_density_scaling 'average' must be computed from the training set first (AtomDensityScaling.Average).")
        : atomicNumbers.Select(z => Values.TryGetValue(z, out var s) ? s : 1.0).ToArray();

    /// Per-element RMS over all multipole components of the reference densities; atoms of configurations with zero weight
    /// are left out (seed: "Configs without reference atomic_multipoles are excluded").
    /// <param name="atomicNumbers">the model's atomic numbers, in the order of the element indices</param>
    /// <param name="species">[N] element index</param><param name="multipoles">[N, K]</param><param name="weight">[N] 0 or 1</param>
    public static AtomDensityScaling Average(IReadOnlyList<int> atomicNumbers, Tensor species, Tensor multipoles, Tensor weight)
    {
        using var scope = NewDisposeScope();
        int z = atomicNumbers.Count;
        var w = weight.to_type(ScalarType.Float64);
        var sq = (multipoles.to_type(ScalarType.Float64).Squared().mean([1]) * w);
        using var one = 1.0.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var sums = zeros(z, dtype: ScalarType.Float64).index_add(0, species, sq, one);
        var counts = zeros(z, dtype: ScalarType.Float64).index_add(0, species, w, one);
        var rms = (sums / counts.clamp_min(HeldScalars.One)).sqrt().data<double>().ToArray();
        var n = counts.data<double>().ToArray();
        return new AtomDensityScaling
        {
            Values = Enumerable.Range(0, z).Where(i => n[i] > 0).ToDictionary(i => atomicNumbers[i], i => Math.Max(rms[i], 1e-8)),
        };
    }
}
