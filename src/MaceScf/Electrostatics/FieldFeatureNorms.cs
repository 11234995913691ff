using System.Globalization;
using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// `--field_feature_norms`: one divisor per (l, width), index l·S + s, broadcast over m
/// (docs/math.md, "Field features"). Normalised features are (Hartree + external + Fermi features) / norm.
internal sealed class FieldFeatureNorms
{
    /// RMS floor of the "average" norms.
    public const double Floor = 1e-8;

    readonly FieldFeatureLayout _layout;

    public FieldFeatureNorms(FieldFeatureLayout layout, IReadOnlyList<double> perDegreeAndWidth)
    {
        int expected = (layout.MaxL + 1) * layout.Widths.Length;
        if (perDegreeAndWidth.Count != expected)
            throw new ArgumentException($"field feature norms need {expected} values (one per l ≤ {layout.MaxL} and width), got {perDegreeAndWidth.Count}");
        if (perDegreeAndWidth.Any(v => !(v > 0)))
            throw new ArgumentException($"field feature norms must be positive, got [{string.Join(", ", perDegreeAndWidth)}]");
        _layout = layout;
        PerDegreeAndWidth = perDegreeAndWidth.ToArray();
    }

    /// Values in the command-line order l·S + s.
    public IReadOnlyList<double> PerDegreeAndWidth { get; }

    /// "None": all norms 1.
    public static FieldFeatureNorms Unit(FieldFeatureLayout layout) =>
        new(layout, Enumerable.Repeat(1.0, (layout.MaxL + 1) * layout.Widths.Length).ToArray());

    /// "average": per (l, width), the root mean square over all atoms and m of unnormalised
    /// features [n, F] (from reference densities plus external-field and centred Fermi-level
    /// terms), floored at 1e-8.
    public static FieldFeatureNorms Average(FieldFeatureLayout layout, IEnumerable<Tensor> features)
    {
        var sumOfSquares = new double[layout.Count];
        long atoms = 0;
        foreach (var f in features)
        {
            if (f.dim() != 2 || f.shape[1] != layout.Count)
                throw new ArgumentException($"features must be [n, {layout.Count}], got [{string.Join(", ", f.shape)}]");
            using var squares = f.detach().Squared().sum(0L).to(float64);
            var values = squares.data<double>().ToArray();
            for (int j = 0; j < values.Length; j++) sumOfSquares[j] += values[j];
            atoms += f.shape[0];
        }
        if (atoms == 0) throw new ArgumentException("the average field feature norms need at least one atom");
        var degree = layout.DegreeOfOutput;
        var width = layout.WidthOfOutput;
        int s = layout.Widths.Length;
        var total = new double[(layout.MaxL + 1) * s];
        for (int j = 0; j < layout.Count; j++) total[degree[j] * s + width[j]] += sumOfSquares[j];
        var norms = total.Select((v, i) => Math.Max(Math.Sqrt(v / (atoms * (2 * (i / s) + 1))), Floor)).ToArray();
        return new FieldFeatureNorms(layout, norms);
    }

    /// Parses the command-line value: "None", "average" (computed by <paramref name="averageFeatures"/>),
    /// or a list such as "[25.0, 25.0, 1.0, 1.0]".
    public static FieldFeatureNorms FromSetting(string? setting, FieldFeatureLayout layout, Func<IEnumerable<Tensor>> averageFeatures)
    {
        var text = setting?.Trim() ?? "None";
        if (text.Length == 0 || text.Equals("none", StringComparison.OrdinalIgnoreCase)) return Unit(layout);
        if (text.Equals("average", StringComparison.OrdinalIgnoreCase)) return Average(layout, averageFeatures());
        var parts = text.Trim('[', ']').Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        var values = parts.Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var x)
            ? x
            : throw new ArgumentException($"field feature norms must be None, average or a list of numbers, got '{setting}'")).ToArray();
        return new FieldFeatureNorms(layout, values);
    }

    /// Norm of each feature column, [F].
    public Tensor PerFeature(ScalarType dtype, Device device)
    {
        int s = _layout.Widths.Length;
        var degree = _layout.DegreeOfOutput;
        var width = _layout.WidthOfOutput;
        return tensor(Enumerable.Range(0, _layout.Count).Select(j => PerDegreeAndWidth[degree[j] * s + width[j]]).ToArray(), dtype: dtype, device: device);
    }

    /// Features [N, F] divided by the norms.
    public double[,] Apply(double[,] features)
    {
        using var scope = NewDisposeScope();
        var scaled = Apply(tensor(features, dtype: ScalarType.Float64)).contiguous().data<double>().ToArray();
        var matrix = new double[features.GetLength(0), features.GetLength(1)];
        Buffer.BlockCopy(scaled, 0, matrix, 0, scaled.Length * sizeof(double));
        return matrix;
    }

    /// features / norms, [n, F].
    public Tensor Apply(Tensor features)
    {
        using var norms = PerFeature(features.dtype, features.device);
        return features / norms;
    }
}
