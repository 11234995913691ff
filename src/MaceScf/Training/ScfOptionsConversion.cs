namespace MaceScf.Training;

/// The configuration's `scf` block as the model's SCF settings.
public static class ScfOptionsConversion
{
    public static FixedPoint.ScfOptions ToModelOptions(this ScfOptions scf) => new()
    {
        NumScfSteps = scf.NumScfSteps,
        ScfTolerance = scf.ScfTolerance,
        ConstantCharge = scf.ConstantCharge,
        MixingParameter = scf.MixingParameter,
        InitialDensity = scf.InitialDensity switch
        {
            InitialDensity.FromData => FixedPoint.InitialDensity.FromData,
            InitialDensity.Zero => FixedPoint.InitialDensity.Zero,
            InitialDensity.LocalGuess => FixedPoint.InitialDensity.LocalGuess,
            _ => throw new ArgumentOutOfRangeException(nameof(scf), scf.InitialDensity, "unknown initial_density"),
        },
        InitialFermiLevel = scf.InitialFermiLevel == InitialFermiLevel.Zero ? FixedPoint.InitialFermiLevel.Zero : FixedPoint.InitialFermiLevel.FromData,
        UseAutogradForces = scf.UseAutogradForces,
    };
}
