using MaceScf.Electrostatics;
using static TorchSharp.torch;

namespace MaceScf.Cli.Commands;

/// The options of `macescf coulomb`, read and checked from its command line.
internal sealed record CoulombSettings(
    string InputPath, string? OutputPath, string MultipolesKey, string TotalChargeKey,
    string? ExternalFieldKey, string? FermiLevelKey, double? FermiLevelOffset,
    ElectrostaticsOptions Options, string NormsSetting)
{
    public const string DefaultNorms = "average";
    public const string DefaultTotalChargeKey = "total_charge";

    public static CoulombSettings Read(CommandLine args)
    {
        string? multipolesKey = args.String("multipoles_key");
        var defaults = new ElectrostaticsOptions();
        int densityMaxL = args.Int("atomic_multipoles_max_l") ?? defaults.DensityMaxL;
        string? featureMaxL = args.String("field_feature_max_l");
        var options = new ElectrostaticsOptions
        {
            SmearingWidth = args.Double("atomic_multipoles_smearing_width") ?? defaults.SmearingWidth,
            DensityMaxL = densityMaxL,
            FieldFeatureWidths = args.Doubles("field_feature_widths") ?? defaults.FieldFeatureWidths,
            FieldFeatureMaxL = featureMaxL is null ? defaults.FieldFeatureMaxL
                : featureMaxL.Equals("none", StringComparison.OrdinalIgnoreCase) ? densityMaxL
                : args.Int("field_feature_max_l")!.Value,
            KspaceCutoffFactor = args.Double("kspace_cutoff_factor") ?? defaults.KspaceCutoffFactor,
            KspaceMethod = KspaceFlags.Method(args) ?? defaults.KspaceMethod,
            ElectrostaticsAccuracy = args.Double("electrostatics_accuracy") ?? defaults.ElectrostaticsAccuracy,
            Method = args.String("electrostatic_pbc_method") is { } method ? Method(method) : defaults.Method,
            IncludeSelfInteraction = args.Has("include_electrostatic_self_interaction")
                ? args.Flag("include_electrostatic_self_interaction") : defaults.IncludeSelfInteraction,
            IncludeFieldSelfInteraction = args.Has("include_field_si") ? args.Flag("include_field_si") : defaults.IncludeFieldSelfInteraction,
        };
        string? output = args.String("output");
        string totalChargeKey = args.String("total_charge_key") ?? DefaultTotalChargeKey;
        string? externalFieldKey = args.String("external_field_key");
        string? fermiLevelKey = args.String("fermi_level_key");
        double? fermiLevelOffset = args.Double("fermi_level_offset");
        string norms = args.String("field_feature_norms") ?? DefaultNorms;
        args.RejectUnknown([]);

        if (args.Positional.Count != 1) throw new UsageException("coulomb takes exactly one FILE");
        if (multipolesKey is null) throw new UsageException("--multipoles-key is required (the per-atom array holding the multipoles)");
        if (fermiLevelOffset is not null && fermiLevelKey is null)
            throw new UsageException("--fermi_level_offset needs --fermi-level-key");
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        return new CoulombSettings(args.Positional[0], output, multipolesKey, totalChargeKey,
            externalFieldKey, fermiLevelKey, fermiLevelOffset, options, norms);
    }

    /// Norms from `--field_feature_norms`: None, average (over <paramref name="features"/>) or a list.
    public FieldFeatureNorms Norms(FieldFeatureLayout layout, Func<IEnumerable<Tensor>> features)
    {
        string text = NormsSetting.Trim();
        bool named = text.Equals("none", StringComparison.OrdinalIgnoreCase) || text.Equals("average", StringComparison.OrdinalIgnoreCase);
        try
        {
            return named
                ? FieldFeatureNorms.FromSetting(text, layout, features)
                : new FieldFeatureNorms(layout, CommandLine.ParseDoubles("field_feature_norms", text));
        }
        catch (ArgumentException e) when (!named)
        {
            throw new UsageException($"--field_feature_norms: {e.Message}");
        }
    }

    private static BoundaryMethod Method(string name)
    {
        try
        {
            return BoundaryMethodNames.Parse(name);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }
}
