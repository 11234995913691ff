using MaceScf.Data;

namespace MaceScf.Cli.Commands;

/// What `macescf coulomb` reads from one frame: the multipoles (truncated to (L+1)² columns by
/// the key mapping), and the optional total charge, applied field and Fermi level.
internal sealed record CoulombInput(
    Configuration Configuration, double[,] Multipoles, double? TotalCharge, double[]? ExternalField, double? FermiLevel)
{
    /// Reads every frame; a frame without the multipoles key is an error naming frame and key.
    public static List<CoulombInput> ReadAll(IEnumerable<Configuration> frames, CoulombSettings settings)
    {
        var infoKeys = new Dictionary<string, string> { [PropertyKeys.TotalCharge] = settings.TotalChargeKey };
        if (settings.ExternalFieldKey is { } field) infoKeys[PropertyKeys.ExternalField] = field;
        if (settings.FermiLevelKey is { } fermi) infoKeys[PropertyKeys.FermiLevel] = fermi;
        var arraysKeys = new Dictionary<string, string> { [PropertyKeys.AtomicMultipoles] = settings.MultipolesKey };
        var extractor = new LabelExtractor(new KeyMapping("coulomb", infoKeys, arraysKeys), settings.Options.DensityMaxL);
        return frames.Select(configuration =>
        {
            var labels = extractor.Extract(configuration);
            if (!labels.AtomicMultipoles.IsPresent)
                throw new InvalidDataException(
                    $"{configuration.DescribeOrigin()}: per-atom array '{settings.MultipolesKey}' (--multipoles-key) is missing; "
                    + $"the frame has {(configuration.Arrays.Count == 0 ? "no arrays" : string.Join(", ", configuration.Arrays.Keys))}");
            return new CoulombInput(
                configuration, labels.AtomicMultipoles.Value,
                labels.TotalCharge.IsPresent ? labels.TotalCharge.Value : null,
                labels.ExternalField.IsPresent ? labels.ExternalField.Value : null,
                labels.FermiLevel.IsPresent ? labels.FermiLevel.Value : null);
        }).ToList();
    }

    /// `--fermi_level_offset`, or the mean Fermi level of the frames that have one (null when none do).
    public static double? FermiLevelOffset(IReadOnlyList<CoulombInput> inputs, CoulombSettings settings)
    {
        if (settings.FermiLevelKey is null) return null;
        var levels = inputs.Where(i => i.FermiLevel is not null).Select(i => i.FermiLevel!.Value).ToList();
        if (levels.Count == 0)
            throw new InvalidDataException($"{settings.InputPath}: no frame has the Fermi level key '{settings.FermiLevelKey}' (--fermi-level-key)");
        return settings.FermiLevelOffset ?? levels.Average();
    }
}
