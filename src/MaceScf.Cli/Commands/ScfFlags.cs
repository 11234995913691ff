using MaceScf.FixedPoint;

namespace MaceScf.Cli.Commands;

/// The SCF options of `macescf eval`, with the names and defaults of <see cref="ScfOptions"/> (those of a stage's `scf` block).
internal static class ScfFlags
{
    public const string Help = """
        SCF options (defaults as in training):
          --num_scf_steps N          at most N − 1 updates (default 100)
          --scf_tolerance T          converged when the mean |Δp| of an update is below T (default 1e-6)
          --constant_charge BOOL     hold the total charge (true, default) or the Fermi level (false)
          --mixing_parameter A       linear mixing p ← p + A (F(p) − p) (default 0.25)
          --scf_mixer M              linear (default) | anderson: Anderson/Pulay acceleration of the
                                     linear step (same fixed point, typically 2–4× fewer updates)
          --anderson_depth M         iterates the Anderson mixer combines (default 4)
          --initial_density D        local_guess (default) | from_data | zero
          --initial_fermi_level F    from_data (default; μ_off when a frame has none) | zero
          --forces_method M          implicit (default): forces and stress by implicit differentiation of the
                                     converged fixed point (one adjoint solve); a batch whose SCF did not
                                     converge, or whose solve is poor, falls back to unroll (reported) |
                                     unroll: autograd through every SCF update (the Python implementation's way)
          --use_autograd_forces BOOL with --forces_method unroll: forces through every SCF step (default true)
        """;

    /// The options given on the command line, the defaults for the others (not yet validated).
    public static ScfOptions Read(CommandLine args)
    {
        var defaults = new ScfOptions();
        var options = new ScfOptions
        {
            NumScfSteps = args.Int("num_scf_steps") ?? defaults.NumScfSteps,
            ScfTolerance = args.Double("scf_tolerance") ?? defaults.ScfTolerance,
            ConstantCharge = args.Has("constant_charge") ? args.Flag("constant_charge") : defaults.ConstantCharge,
            MixingParameter = args.Double("mixing_parameter") ?? defaults.MixingParameter,
            Mixer = args.String("scf_mixer") is { } mixer ? Mixer(mixer) : defaults.Mixer,
            AndersonDepth = args.Int("anderson_depth") ?? defaults.AndersonDepth,
            InitialDensity = args.String("initial_density") is { } d ? ScfOptions.ParseInitialDensity(d) : defaults.InitialDensity,
            InitialFermiLevel = args.String("initial_fermi_level") is { } f ? ScfOptions.ParseInitialFermiLevel(f) : defaults.InitialFermiLevel,
            UseAutogradForces = args.Has("use_autograd_forces") ? args.Flag("use_autograd_forces") : defaults.UseAutogradForces,
            ForcesMethod = args.String("forces_method") is { } m ? ForcesMethodNames.Parse(m) : defaults.ForcesMethod,
        };
        if (!options.UseAutogradForces && options.ForcesMethod != ForcesMethod.Unroll)
            throw new UsageException("--use_autograd_forces false selects which unrolled SCF steps keep their graph: add --forces_method unroll "
                + "(the default, implicit, differentiates the converged fixed point and takes no unrolled step)");
        return options;
    }

    static ScfMixer Mixer(string text)
    {
        try
        {
            return ScfMixerNames.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
