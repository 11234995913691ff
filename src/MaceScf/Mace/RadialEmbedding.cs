using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// Radial Bessel basis b_n(r) = √(2/r_max) · sin(nπr/r_max) / r, n = 1..N (docs/math.md, "The MACE backbone").
internal sealed class BesselBasis
{
    public BesselBasis(double rMax, int numBasis)
    {
        if (rMax <= 0) throw new ArgumentOutOfRangeException(nameof(rMax));
        if (numBasis < 1) throw new ArgumentOutOfRangeException(nameof(numBasis));
        RMax = rMax;
        NumBasis = numBasis;
    }

    public double RMax { get; }

    public int NumBasis { get; }

    /// <param name="r">[E, 1] distances (> 0)</param>
    /// <returns>[E, NumBasis]</returns>
    public Tensor Compute(Tensor r)
    {
        using var scope = NewDisposeScope();
        using var end = (NumBasis + 1).ToScalar();
        var frequencies = torch.arange(HeldScalars.One, end, HeldScalars.One, dtype: r.dtype, device: r.device).Times(Math.PI / RMax);
        var basis = torch.sin(r * frequencies).Times(Math.Sqrt(2 / RMax)) / r;
        return basis.MoveToOuterDisposeScope();
    }
}

/// Polynomial envelope of order p, u = r/r_max:
/// f(r) = 1 − (p+1)(p+2)/2 · u^p + p(p+2) · u^{p+1} − p(p+1)/2 · u^{p+2} for r &lt; r_max, 0 beyond
/// (value, first and second derivatives vanish at r_max).
internal sealed class PolynomialCutoff
{
    public PolynomialCutoff(double rMax, int p)
    {
        if (rMax <= 0) throw new ArgumentOutOfRangeException(nameof(rMax));
        if (p < 1) throw new ArgumentOutOfRangeException(nameof(p));
        RMax = rMax;
        P = p;
    }

    public double RMax { get; }

    public int P { get; }

    /// <param name="r">distances, any shape</param>
    public Tensor Compute(Tensor r)
    {
        using var scope = NewDisposeScope();
        double p = P;
        using Scalar power = P.ToScalar(), rMax = RMax.ToScalar();
        var u = r.DividedBy(RMax);
        var up = u.pow(power);
        // 1 − (p+1)(p+2)/2 · u^p + p(p+2) · u^p·u − p(p+1)/2 · u^p·u·u, the Scalars held (HeldScalars).
        var envelope = up.Times((p + 1) * (p + 2) / 2).neg().Plus(1).Plus(up.Times(p * (p + 2)) * u) - up.Times(p * (p + 1) / 2) * u * u;
        var inside = r.lt(rMax).to_type(r.dtype);
        return (envelope * inside).MoveToOuterDisposeScope();
    }
}

/// Edge features: Bessel basis times polynomial cutoff, b(r)·f_cut(r) [E, num_bessel] (MACE's RadialEmbeddingBlock with
/// apply_cutoff).
internal sealed class RadialEmbedding
{
    public RadialEmbedding(double rMax, int numBessel, int numPolynomialCutoff)
    {
        Bessel = new BesselBasis(rMax, numBessel);
        Cutoff = new PolynomialCutoff(rMax, numPolynomialCutoff);
    }

    public BesselBasis Bessel { get; }

    public PolynomialCutoff Cutoff { get; }

    public int OutDim => Bessel.NumBasis;

    /// <param name="r">[E, 1] distances</param>
    /// <returns>[E, num_bessel]</returns>
    public Tensor Compute(Tensor r)
    {
        using var scope = NewDisposeScope();
        return (Bessel.Compute(r) * Cutoff.Compute(r)).MoveToOuterDisposeScope();
    }
}
