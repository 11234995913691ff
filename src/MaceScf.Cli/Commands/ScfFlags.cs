using System.Globalization;
using MaceScf.FixedPoint;
using MaceScf.Training;

namespace MaceScf.Cli.Commands;

/// The SCF options of `macescf eval`, with the names and defaults of <see cref="ScfOptions"/> (those of a stage's `scf` block).
internal static class ScfFlags
{
    static readonly ScfOptions Defaults = new();

    /// The help of the options; every default is read from <see cref="ScfOptions"/>.
    public static readonly string Help = string.Create(CultureInfo.InvariantCulture, $$"""
        SCF options (defaults as in training):
          --num_scf_steps N          at most N − 1 updates (default {{Defaults.NumScfSteps}})
          --scf_tolerance T          converged when the mean |Δp| of an update is below T (default {{Defaults.ScfTolerance}})
          --constant_charge BOOL     hold the total charge (true) or the Fermi level (false) (default {{Bool(Defaults.ConstantCharge)}})
          --mixing_parameter A       linear mixing p ← p + A (F(p) − p) (default {{Defaults.MixingParameter}})
          --scf_mixer M              linear | anderson: Anderson/Pulay acceleration of the linear step (same fixed
                                     point, typically 2–4× fewer updates) (default {{ScfMixerNames.Name(Defaults.Mixer)}})
          --anderson_depth M         iterates the Anderson mixer combines (default {{Defaults.AndersonDepth}})
          --initial_density D        local_guess | from_data | zero (default {{SnakeCase.Of(Defaults.InitialDensity)}})
          --initial_fermi_level F    from_data (μ_off when a frame has none) | zero (default {{SnakeCase.Of(Defaults.InitialFermiLevel)}})
          --forces_method M          implicit: forces and stress by implicit differentiation of the converged fixed
                                     point (one adjoint solve); a batch whose SCF did not converge, or whose solve
                                     is poor, falls back to unroll (reported) | unroll: autograd through every SCF
                                     update (the Python implementation's way) (default {{ForcesMethodNames.Name(Defaults.ForcesMethod)}})
          --use_autograd_forces BOOL with --forces_method unroll: forces through every SCF step (default {{Bool(Defaults.UseAutogradForces)}})
        """);

    static string Bool(bool value) => value ? "true" : "false";

    /// The options given on the command line, the defaults for the others (not yet validated).
    public static ScfOptions Read(CommandLine args)
    {
        var options = new ScfOptions
        {
            NumScfSteps = args.Int("num_scf_steps") ?? Defaults.NumScfSteps,
            ScfTolerance = args.Double("scf_tolerance") ?? Defaults.ScfTolerance,
            ConstantCharge = args.Has("constant_charge") ? args.Flag("constant_charge") : Defaults.ConstantCharge,
            MixingParameter = args.Double("mixing_parameter") ?? Defaults.MixingParameter,
            Mixer = args.String("scf_mixer") is { } mixer ? Mixer(mixer) : Defaults.Mixer,
            AndersonDepth = args.Int("anderson_depth") ?? Defaults.AndersonDepth,
            InitialDensity = args.String("initial_density") is { } d ? ScfOptions.ParseInitialDensity(d) : Defaults.InitialDensity,
            InitialFermiLevel = args.String("initial_fermi_level") is { } f ? ScfOptions.ParseInitialFermiLevel(f) : Defaults.InitialFermiLevel,
            UseAutogradForces = args.Has("use_autograd_forces") ? args.Flag("use_autograd_forces") : Defaults.UseAutogradForces,
            ForcesMethod = args.String("forces_method") is { } m ? ForcesMethodNames.Parse(m) : Defaults.ForcesMethod,
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
