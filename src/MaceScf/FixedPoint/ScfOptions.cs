namespace MaceScf.FixedPoint;

/// <summary>Where the SCF starts its density.</summary>
public enum InitialDensity
{
    /// <summary>p_local, the field-independent density (default).</summary>
    LocalGuess,
    /// <summary>The configuration's density_coefficients.</summary>
    FromData,
    /// <summary>All coefficients zero.</summary>
    Zero,
}

/// <summary>Where the SCF starts its Fermi level.</summary>
public enum InitialFermiLevel
{
    /// <summary>The configuration's fermi_level (default).</summary>
    FromData,
    /// <summary>μ = μ_off, i.e. a centred zero.</summary>
    Zero,
}

/// <summary>
/// The SCF settings, with the seed's names (docs/fixed-point.md, "The SCF loop (`ScfRunner`, `ScfOptions`)"; docs/compatibility.md, "Defaults").
/// </summary>
public sealed record ScfOptions
{
    /// <summary>
    /// num_scf_steps: at most num_scf_steps − 1 updates are made (as in the Python implementation).
    /// </summary>
    public int NumScfSteps { get; init; } = 100;

    /// <summary>
    /// scf_tolerance: converged when every structure's mean |Δp| of the mixed density is below this.
    /// </summary>
    public double ScfTolerance { get; init; } = 1e-6;

    /// <summary>
    /// constant_charge: Fukui projection and Newton steps on μ to reach the target total charge; otherwise μ is fixed.
    /// </summary>
    public bool ConstantCharge { get; init; } = true;

    /// <summary>mixing_parameter α: p ← p + α (F(p) − p).</summary>
    public double MixingParameter { get; init; } = 0.25;

    /// <summary>
    /// scf_mixer: linear (p ← p + α (F(p) − p)) or anderson (Anderson/Pulay acceleration of that step; same fixed point).
    /// </summary>
    public ScfMixer Mixer { get; init; } = ScfMixer.Linear;

    /// <summary>
    /// anderson_depth: how many previous iterates the Anderson mixer combines (ignored by linear mixing).
    /// </summary>
    public int AndersonDepth { get; init; } = DefaultAndersonDepth;

    /// <summary>
    /// The default <see cref="AndersonDepth"/>, chosen by measurement (docs/benchmarks.md, "Anderson mixing").
    /// </summary>
    public const int DefaultAndersonDepth = 4;

    /// <summary>Where the SCF starts: the model's local guess, the structure's multipoles or zeros (initial_density).</summary>
    public InitialDensity InitialDensity { get; init; } = InitialDensity.LocalGuess;

    /// <summary>Where the Fermi level of a constant-charge SCF starts (initial_fermi_level).</summary>
    public InitialFermiLevel InitialFermiLevel { get; init; } = InitialFermiLevel.FromData;

    /// <summary>
    /// use_autograd_forces: keep the graph of every SCF step for the forces (full unroll); otherwise only a step with
    /// index num_scf_steps − 2 keeps it (Hellmann–Feynman-like forces). Always full in constant-charge mode (docs/fixed-point.md, "Forces: implicit or unrolled (`forces_method`)").
    /// Only with <see cref="ForcesMethod.Unroll"/>.
    /// </summary>
    public bool UseAutogradForces { get; init; } = true;

    /// <summary>
    /// forces_method: implicit differentiation of the converged fixed point (default) or autograd through the unrolled loop
    /// (then <see cref="UseAutogradForces"/> applies). Force training (create_graph) always unrolls.
    /// </summary>
    public ForcesMethod ForcesMethod { get; init; } = ForcesMethod.Implicit;

    /// <summary>Constant charge: converged also requires |Q − Q_target| below this (e).</summary>
    public double ChargeTolerance { get; init; } = 1e-3;

    /// <summary>
    /// Diverged when a structure's |Q − Q_ref| exceeds this (e); Q_ref is the target (constant charge) or 0.
    /// </summary>
    public double DivergenceCharge { get; init; } = 10.0;

    /// <summary>
    /// Diverged when a step's mean |Δp| exceeds this (1.0 at constant μ, 5.0 at constant charge in the Python code);
    /// null picks that mode's value.
    /// </summary>
    public double? DivergenceChange { get; init; }

    internal double ResolvedDivergenceChange => DivergenceChange ?? (ConstantCharge ? 5.0 : 1.0);

    internal static InitialDensity ParseInitialDensity(string text) => text.Trim().ToLowerInvariant() switch
    {
        "local_guess" => InitialDensity.LocalGuess,
        "from_data" => InitialDensity.FromData,
        "zero" => InitialDensity.Zero,
        _ => throw new ArgumentException($"Unknown initial_density '{text}'. Valid values: from_data, local_guess, zero."),
    };

    internal static InitialFermiLevel ParseInitialFermiLevel(string text) => text.Trim().ToLowerInvariant() switch
    {
        "from_data" => InitialFermiLevel.FromData,
        "zero" => InitialFermiLevel.Zero,
        _ => throw new ArgumentException($"Unknown initial_fermi_level '{text}'. Valid values: from_data, zero."),
    };

    /// <summary>Checks the settings.</summary>
    /// <exception cref="ArgumentException">describes the first invalid setting</exception>
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
