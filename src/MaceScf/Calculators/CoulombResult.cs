using MaceScf.Electrostatics;
using static TorchSharp.torch;

namespace MaceScf.Calculators;

/// What <see cref="CoulombCalculator"/> computes for one frame (eV, Å, e, V).
/// <param name="MaxForce">largest force norm over the atoms (0 for an empty frame).</param>
/// <param name="FieldFeatures">[N, F] unnormalised, l-major then width then m.</param>
/// <param name="Kspace">How the reciprocal-space part was evaluated (null for realspace).</param>
public sealed record CoulombResult(
    BoundaryMethod Method, int KVectorCount, double TotalCharge, double[] Dipole,
    double CoulombEnergy, double FieldEnergy, double[,] Forces, double MaxForce, double[] Potential, double[,] FieldFeatures,
    KspaceSetup? Kspace)
{
    /// The first result that is not finite ("energy", "forces", …), or null.
    public string? FirstNonFinite()
    {
        if (!double.IsFinite(CoulombEnergy) || !double.IsFinite(FieldEnergy)) return "energy";
        if (Forces.Cast<double>().Any(x => !double.IsFinite(x))) return "forces";
        if (Potential.Any(x => !double.IsFinite(x))) return "potential";
        if (Dipole.Any(x => !double.IsFinite(x))) return "dipole";
        return FieldFeatures.Cast<double>().Any(x => !double.IsFinite(x)) ? "field features" : null;
    }

    /// Coulomb energy plus E·P.
    public double TotalEnergy => CoulombEnergy + FieldEnergy;

    public double DipoleNorm => Math.Sqrt(Dipole.Sum(d => d * d));

    /// Field features divided by the norms, [N, F].
    public double[,] NormalisedFieldFeatures(FieldFeatureNorms norms)
    {
        using var scope = NewDisposeScope();
        return TensorArrays.ToMatrix(norms.Apply(tensor(FieldFeatures, dtype: float64)));
    }
}
