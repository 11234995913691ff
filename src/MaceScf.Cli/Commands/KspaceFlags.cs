using MaceScf.Electrostatics;
using MaceScf.FixedPoint;

namespace MaceScf.Cli.Commands;

/// `--kspace_method` and `--electrostatics_accuracy` of eval and ipi: how the model's periodic electrostatics are evaluated
/// (not part of the trained parameters, so they may differ from the values the model was trained with).
internal static class KspaceFlags
{
    public static readonly string Help = $"""
        electrostatics options (default: the model's, as trained):
          --kspace_method M              ewald (direct k-space sum) | pme (particle-mesh Ewald) |
                                         auto (ewald below {KspaceMethodNames.AutoPmeThreshold} atoms per structure, pme from there;
                                         in a fixed-point model's SCF below {KspaceMethodNames.ScfAutoPmeThreshold})
          --electrostatics_accuracy A    target relative RMS force error of pme; sets its grid spacing
                                         and spline order
        """;

    /// `--kspace_method` if given.
    public static KspaceMethod? Method(CommandLine args)
    {
        if (args.String("kspace_method") is not { } name) return null;
        try
        {
            return KspaceMethodNames.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    /// Reads the flags (before the command line's unknown flags are rejected); apply them to a model with the returned function,
    /// which gives a one-line description of the k-space setup for the log.
    /// (The function takes the model's electrostatics and how to set the k-space method of the model.)
    public static Func<ElectrostaticsOptions, Action<KspaceMethod, double>, string> Read(CommandLine args)
    {
        var method = Method(args);
        double? accuracy = args.Double("electrostatics_accuracy");
        return (current, use) => Apply(current, use, method, accuracy);
    }

    static string Apply(ElectrostaticsOptions current, Action<KspaceMethod, double> use, KspaceMethod? method, double? accuracy)
    {
        var options = current with
        {
            KspaceMethod = method ?? current.KspaceMethod,
            ElectrostaticsAccuracy = accuracy ?? current.ElectrostaticsAccuracy,
        };
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        use(options.KspaceMethod, options.ElectrostaticsAccuracy);
        return Describe(options);
    }

    /// "kspace_method auto (pme from 1000 atoms per structure, from 2000 in a fixed-point model's SCF): accuracy 1e-06 → spline order 8, grid spacing ≤ 0.706 Å".
    public static string Describe(ElectrostaticsOptions options)
    {
        if (options.KspaceMethod == KspaceMethod.Ewald)
            return $"kspace_method ewald: k_c {options.KspaceCutoff:F4} 1/Å";
        var mesh = MeshParameters.Choose(options);
        string when = options.KspaceMethod == KspaceMethod.Auto
            ? $" (pme from {KspaceMethodNames.AutoPmeThreshold} atoms per structure, from {KspaceMethodNames.ScfAutoPmeThreshold} in a fixed-point model's SCF)" : "";
        return $"kspace_method {options.KspaceMethod.ToName()}{when}: accuracy {options.ElectrostaticsAccuracy:G3} → spline order {mesh.Order}, "
            + $"grid spacing <= {mesh.Spacing:F3} Å (estimated error {mesh.EstimatedError:E1})";
    }
}
