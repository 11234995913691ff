namespace MaceScf.FixedPoint;

/// Where the SCF starts its density.
public enum InitialDensity
{
    /// p_local, the field-independent density (default).
    LocalGuess,
    /// The configuration's density_coefficients.
    FromData,
    /// All coefficients zero.
    Zero,
}

/// Where the SCF starts its Fermi level.
public enum InitialFermiLevel
{
    /// The configuration's fermi_level (default).
    FromData,
    /// μ = μ_off, i.e. a centred zero.
    Zero,
}

/// The SCF settings, with the seed's names (docs/fixed-point.md, "The SCF loop (`ScfRunner`, `ScfOptions`)"; docs/compatibility.md, "Defaults").
public sealed record ScfOptions
{
    /// num_scf_steps: at most num_scf_steps − 1 updates are made (as in the Python implementation).
    public int NumScfSteps { get; init; } = 100;

    /// scf_tolerance: converged when every structure's mean |Δp| of the mixed density is below this.
    public double ScfTolerance { get; init; } = 1e-6;

    /// constant_charge: Fukui projection and Newton steps on μ to reach the target total charge; otherwise μ is fixed.
    public bool ConstantCharge { get; init; } = true;

    /// mixing_parameter α: p ← p + α (F(p) − p).
    public double MixingParameter { get; init; } = 0.25;

    /// scf_mixer: linear (p ← p + α (F(p) − p)) or anderson (Anderson/Pulay acceleration of that step; same fixed point).
    public ScfMixer Mixer { get; init; } = ScfMixer.Linear;

    /// anderson_depth: how many previous iterates the Anderson mixer combines (ignored by linear mixing).
    public int AndersonDepth { get; init; } = DefaultAndersonDepth;

    /// The default <see cref="AndersonDepth"/>, chosen by measurement (docs/benchmarks.md, "Anderson mixing").
    public const int DefaultAndersonDepth = 4;

    public InitialDensity InitialDensity { get; init; } = InitialDensity.LocalGuess;

    public InitialFermiLevel InitialFermiLevel { get; init; } = InitialFermiLevel.FromData;

    /// use_autograd_forces: keep the graph of every SCF step for the forces (full unroll); otherwise only a step with
    /// index num_scf_steps − 2 keeps it (Hellmann–Feynman-like forces). Always full in constant-charge mode (docs/fixed-point.md, "Forces: implicit or unrolled (`forces_method`)").
    /// Only with <see cref="ForcesMethod.Unroll"/>.
    public bool UseAutogradForces { get; init; } = true;

    /// forces_method: implicit differentiation of the converged fixed point (default) or autograd through the unrolled loop
    /// (then <see cref="UseAutogradForces"/> applies). Force training (create_graph) always unrolls.
    public ForcesMethod ForcesMethod { get; init; } = ForcesMethod.Implicit;

    /// Constant charge: converged also requires |Q − Q_target| below this (e).
    public double ChargeTolerance { get; init; } = 1e-3;

    /// Diverged when a structure's |Q − Q_ref| exceeds this (e); Q_ref is the target (constant charge) or 0.
    public double DivergenceCharge { get; init; } = 10.0;

    /// Diverged when a step's mean |Δp| exceeds this (1.0 at constant μ, 5.0 at constant charge in the Python code);
    /// null picks that mode's value.
    public double? DivergenceChange { get; init; }

    public double ResolvedDivergenceChange => DivergenceChange ?? (ConstantCharge ? 5.0 : 1.0);

    public static InitialDensity ParseInitialDensity(string text) => text.Trim().ToLowerInvariant() switch
    {
        "local_guess" => InitialDensity.LocalGuess,
        "from_data" => InitialDensity.FromData,
        "zero" => InitialDensity.Zero,
        _ => throw new ArgumentException($"Unknown initial_density '{text}'. Valid values: from_data, local_guess, zero."),
    };

    public static InitialFermiLevel ParseInitialFermiLevel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "from_data" => InitialFermiLevel.FromData,
        "zero" => InitialFermiLevel.Zero,
        _ => throw new ArgumentException($"Unknown initial_fermi_level '{text}'. Valid values: from_data, zero."),
    };

    public void Validate()
    {
        if (NumScfSteps < 1) throw new ArgumentException($"num_scf_steps must be ≥ 1, got {NumScfSteps}.");
        if (!(ScfTolerance >= 0)) throw new ArgumentException($"scf_tolerance must be ≥ 0, got {ScfTolerance}.");
        if (!(MixingParameter > 0)) throw new ArgumentException($"mixing_parameter must be positive, got {MixingParameter}.");
        if (AndersonDepth < 1) throw new ArgumentException($"anderson_depth must be ≥ 1, got {AndersonDepth}.");
        if (!(ChargeTolerance > 0)) throw new ArgumentException("The charge tolerance must be positive.");
        if (!(DivergenceCharge > 0) || !(ResolvedDivergenceChange > 0)) throw new ArgumentException("Divergence thresholds must be positive.");
    }
}
