using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Layout of the field features (docs/math.md, "Field features"): S widths, orders l ≤ Lf; output is l-major, then
/// width, then m. Internally the projections are computed width-major as [n, S, (Lf+1)²].
/// Also holds the exact projections of linear potentials (docs/math.md, "External field and Fermi level") and the own-site terms.
internal sealed class FieldFeatureLayout
{
    readonly long[] _rawIndexOfOutput;

    public FieldFeatureLayout(ElectrostaticsOptions options)
    {
        Widths = options.FieldFeatureWidths.ToArray();
        MaxL = options.FieldFeatureMaxL;
        int perWidth = (MaxL + 1) * (MaxL + 1);
        var order = new List<long>();
        for (int l = 0; l <= MaxL; l++)
            for (int w = 0; w < Widths.Length; w++)
                for (int m = 0; m < 2 * l + 1; m++)
                    order.Add(w * perWidth + l * l + m);
        _rawIndexOfOutput = order.ToArray();
    }

    public double[] Widths { get; }
    public int MaxL { get; }
    public int Count => _rawIndexOfOutput.Length;
    public int HarmonicCount => (MaxL + 1) * (MaxL + 1);

    /// Angular order l of each output column.
    public int[] DegreeOfOutput => _rawIndexOfOutput.Select(i => SolidHarmonics.DegreeOfColumn(MaxL)[i % HarmonicCount]).ToArray();

    /// Column (l, m) of the (Lf+1)² solid harmonics for each output column.
    public int[] HarmonicOfOutput => _rawIndexOfOutput.Select(i => (int)(i % HarmonicCount)).ToArray();

    /// Width index of each output column.
    public int[] WidthOfOutput => _rawIndexOfOutput.Select(i => (int)(i / HarmonicCount)).ToArray();

    /// [n, S, (Lf+1)²] width-major → [n, F] l-major.
    public Tensor ToOutputLayout(Tensor raw)
    {
        using var index = tensor(_rawIndexOfOutput, device: raw.device);
        return raw.reshape(raw.shape[0], Count).index_select(1, index);
    }

    /// [4, F]: projection of a linear potential given at each atom as (V, ∂x V, ∂y V, ∂z V):
    /// l=0 → √(4π) V; l=1 of width σf → (√6 π σf / 2) ∂V in (y, z, x) order; l ≥ 2 → 0.
    public Tensor LinearPotentialMatrix(ScalarType dtype, Device device)
    {
        var m = new double[4, Count];
        var degree = DegreeOfOutput;
        var width = WidthOfOutput;
        int[] cartesianColumnOfM = [2, 3, 1];
        for (int j = 0; j < Count; j++)
        {
            if (degree[j] == 0) m[0, j] = Math.Sqrt(4 * Math.PI);
            else if (degree[j] == 1)
            {
                int mIndex = (int)(_rawIndexOfOutput[j] % HarmonicCount) - 1;
                m[cartesianColumnOfM[mIndex], j] = Math.Sqrt(6) * Math.PI * Widths[width[j]] / 2;
            }
        }
        return tensor(m, dtype: dtype, device: device);
    }

    /// [F]: projection of |r − r_i|² about the atom: √(4π)·3σf² in l=0 slots, 0 elsewhere.
    public Tensor CentredSquareProjection(ScalarType dtype, Device device)
    {
        var degree = DegreeOfOutput;
        var width = WidthOfOutput;
        var v = Enumerable.Range(0, Count)
            .Select(j => degree[j] == 0 ? Math.Sqrt(4 * Math.PI) * 3 * Widths[width[j]] * Widths[width[j]] : 0.0).ToArray();
        return tensor(v, dtype: dtype, device: device);
    }

    /// [C, F] with C = (L+1)² density coefficients: the own-site feature of each coefficient,
    /// c^F_{l,σf} on matching (l,m), zero elsewhere (docs/math.md, "Self-interaction"). Features_own = p @ this.
    public Tensor SelfInteractionMatrix(double sigma, int densityMaxL, ScalarType dtype, Device device)
    {
        int nc = (densityMaxL + 1) * (densityMaxL + 1);
        var s = new double[nc, Count];
        var degree = DegreeOfOutput;
        var width = WidthOfOutput;
        for (int j = 0; j < Count; j++)
        {
            int lm = (int)(_rawIndexOfOutput[j] % HarmonicCount);
            if (lm < nc) s[lm, j] = GaussianMultipoleBasis.FeatureSelfInteraction(degree[j], sigma, Widths[width[j]]);
        }
        return tensor(s, dtype: dtype, device: device);
    }
}
