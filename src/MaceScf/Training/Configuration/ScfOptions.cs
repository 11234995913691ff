namespace MaceScf.Training;

/// The nested `scf` block of a stage's fixed_point_training_options. Defaults as in the Python
/// FixedPointSCFOptions; training stages must set NumScfSteps and MixingParameter explicitly.
public sealed record ScfOptions
{
    /// `num_scf_steps` > 0; at most num_scf_steps − 1 updates are performed.
    public int NumScfSteps { get; init; } = 100;

    /// `scf_tolerance` > 0.
    public double ScfTolerance { get; init; } = 1e-6;

    /// `constant_charge`: adjust the Fermi level so the total charge is kept.
    public bool ConstantCharge { get; init; } = true;

    /// `mixing_parameter` α, 0 < α ≤ 1: ρ ← (1−α) ρ + α F(ρ).
    public double MixingParameter { get; init; } = 0.25;

    /// `initial_density`.
    public InitialDensity InitialDensity { get; init; } = InitialDensity.LocalGuess;

    /// `initial_fermi_level`.
    public InitialFermiLevel InitialFermiLevel { get; init; } = InitialFermiLevel.FromData;

    /// `use_autograd_forces`.
    public bool UseAutogradForces { get; init; } = true;
}
