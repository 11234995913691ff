using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// Electrodes held at their own Fermi levels (docs/response.md, "Electrodes at a potential difference"): the region of every
/// atom (0 the electrolyte, r = 1..R electrode r) and μ_r (V, the sign of the teacher's μ: dQ_r/dμ_r &lt; 0). The structure's
/// electron constraint then applies to the electrolyte alone.
internal sealed record TeacherElectrodes(int[] Regions, double[] FermiLevels)
{
    /// R.
    public int Count => FermiLevels.Length;

    /// c_r: 1 on the charge coefficient of every atom of region r, 0 elsewhere, [KN].
    public Tensor Indicator(int region, int coefficientCount)
    {
        var c = new double[Regions.Length * coefficientCount];
        for (int i = 0; i < Regions.Length; i++) c[i * coefficientCount] = Regions[i] == region ? 1 : 0;
        return tensor(c, dtype: float64);
    }

    /// Σ_r μ_r c_r: the gradient of the reservoir terms Σ_r μ_r Q_r with respect to the coefficients, [KN].
    public Tensor ReservoirGradient(int coefficientCount)
    {
        var g = new double[Regions.Length * coefficientCount];
        for (int i = 0; i < Regions.Length; i++) g[i * coefficientCount] = Regions[i] == 0 ? 0 : FermiLevels[Regions[i] - 1];
        return tensor(g, dtype: float64);
    }

    /// Σ q of every region 0..R (e).
    public double[] RegionCharges(double[,] multipoles)
    {
        var q = new double[Count + 1];
        for (int i = 0; i < Regions.Length; i++) q[Regions[i]] += multipoles[i, 0];
        return q;
    }
}
