using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// The two Gaussian bases of the model (docs/math.md, "Gaussian multipoles"): the "multipoles" density basis
/// φ_lm = r^l e^{−r²/2σ²} Y_lm / C_l (one unit of its own multipole moment) and the "receiver"
/// projection basis ψ_lm of the field features. Closed forms for normalisations, Fourier
/// transforms and self-interaction constants.
internal static class GaussianMultipoleBasis
{
    /// Normalisation of the density basis: C_l = √(4π/(2l+1)) 2^{(2l+1)/2} Γ((2l+3)/2) σ^{2l+3}.
    public static double MultipoleNormalisation(int l, double sigma) =>
        Math.Sqrt(4 * Math.PI / (2 * l + 1)) * Math.Pow(2, (2 * l + 1) / 2.0) * GammaOfHalf(2 * l + 3) * Math.Pow(sigma, 2 * l + 3);

    /// Normalisation of the receiver basis: C_l = 2^{(l+1)/2} Γ((l+3)/2) σ^{l+3}.
    public static double ReceiverNormalisation(int l, double sigma) =>
        Math.Pow(2, (l + 1) / 2.0) * GammaOfHalf(l + 3) * Math.Pow(sigma, l + 3);

    /// Coulomb overlap of a source function (width σs, normalisation cs) with a receiver of the
    /// same (l,m) (width σr, normalisation cr): (1/ε0) σs^{2l+3} σr^{2l+3} Γ(l+½) / (2 a^{l+½} cs cr),
    /// a = (σs²+σr²)/2 (the k-space integral of §2.6 done in closed form).
    public static double CoulombOverlap(int l, double sigmaSource, double normSource, double sigmaReceiver, double normReceiver)
    {
        double a = 0.5 * (sigmaSource * sigmaSource + sigmaReceiver * sigmaReceiver);
        return CoulombConstants.FieldConstant * Math.Pow(sigmaSource, 2 * l + 3) * Math.Pow(sigmaReceiver, 2 * l + 3)
            * GammaOfHalf(2 * l + 1) / (2 * Math.Pow(a, l + 0.5) * normSource * normReceiver);
    }

    /// c^E_l: energy of a unit density-basis function with itself is ½ c^E_l.
    public static double EnergySelfInteraction(int l, double sigma)
    {
        double c = MultipoleNormalisation(l, sigma);
        return CoulombOverlap(l, sigma, c, sigma, c);
    }

    /// c^F_{l,σf}: projection of a unit density-basis function's own potential on its receiver of width σf.
    public static double FeatureSelfInteraction(int l, double sigma, double receiverWidth) =>
        CoulombOverlap(l, sigma, MultipoleNormalisation(l, sigma), receiverWidth, ReceiverNormalisation(l, receiverWidth));

    /// Fourier transform ∫e^{−ik·r} f(r) d³r of a basis function, without the phase (−i)^l:
    /// 4π√(π/2) σ^{2l+3} e^{−k²σ²/2} |k|^l Y_lm(k̂) / C_l, one column per (l,m). k: [K,3] → [K,(L+1)²].
    public static Tensor FourierMagnitude(Tensor k, double sigma, int maxL, Func<int, double, double> normalisation)
    {
        var harmonics = SolidHarmonics.Evaluate(k, maxL);
        var gaussian = k.Squared().sum(-1).Times(-0.5 * sigma * sigma).exp();
        var radial = SolidHarmonics.DegreeOfColumn(maxL)
            .Select(l => 4 * Math.PI * Math.Sqrt(Math.PI / 2) * Math.Pow(sigma, 2 * l + 3) / normalisation(l, sigma)).ToArray();
        return harmonics * gaussian.unsqueeze(-1) * tensor(radial, dtype: k.dtype, device: k.device);
    }

    /// Real and imaginary parts of (−i)^l for each column of a (maxL+1)² layout.
    public static (double[] Real, double[] Imaginary) FourierPhase(int maxL)
    {
        var degrees = SolidHarmonics.DegreeOfColumn(maxL);
        var re = degrees.Select(l => (l % 4) switch { 0 => 1.0, 2 => -1.0, _ => 0.0 }).ToArray();
        var im = degrees.Select(l => (l % 4) switch { 1 => -1.0, 3 => 1.0, _ => 0.0 }).ToArray();
        return (re, im);
    }

    /// Γ(n/2) for a positive integer n.
    static double GammaOfHalf(int n)
    {
        double value = n % 2 == 0 ? 1.0 : Math.Sqrt(Math.PI);
        for (int m = n % 2 == 0 ? 2 : 1; m < n; m += 2) value *= m / 2.0;
        return value;
    }
}
