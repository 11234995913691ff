using MaceScf.Calculators;
using MaceScf.Data;

namespace MaceScf.Cli.Commands;

/// `--electrode-potentials "μ1 μ2"` and `--electrode-key KEY` of `macescf eval` and `macescf ipi`: electrodes held at their own
/// Fermi levels (docs/response.md, "Electrodes at a potential difference").
internal sealed record ElectrodeFlags(double[] FermiLevels, string RegionKey)
{
    public const string Help = """
          --electrode-potentials "μ1 μ2 …"
                           hold electrode r at the Fermi level μr (V; the quantity and sign of --fermi-level:
                           raising μr takes positive charge off the electrode). The per-atom integer array
                           --electrode-key tags every atom: 0 electrolyte (held at the info value
                           electrolyte_charge, 0 when absent, in a constant-charge SCF; at the frame's
                           fermi_level with --constant_charge false), r = 1, 2, … electrode r. The energy is
                           the grand potential E + Σr μr Qr; macescf_region_charges and
                           macescf_region_fermi_levels hold each region's Σq and μ (index 0 the electrolyte)
          --electrode-key KEY
                           the per-atom array of the regions (electrode when not given)
        """;

    /// The flags given, or null without --electrode-potentials.
    public static ElectrodeFlags? Read(CommandLine args)
    {
        var levels = args.Doubles("electrode_potentials");
        string? key = args.String("electrode_key");
        if (levels is null)
        {
            if (key is not null) throw new UsageException("--electrode-key names the regions of --electrode-potentials; give the potentials too");
            return null;
        }
        if (levels.Length == 0) throw new UsageException("--electrode-potentials takes one Fermi level (V) per electrode, e.g. \"-2.9 -2.3\"");
        if (levels.Any(m => !double.IsFinite(m))) throw new UsageException($"--electrode-potentials must be finite numbers, got {string.Join(' ', levels)}");
        return new ElectrodeFlags(levels, key ?? PropertyKeys.ElectrodeRegion);
    }

    /// The regions of a frame with these potentials; names the file, frame and key when the regions are missing or wrong.
    public ElectrodeConditions Of(Configuration frame) => ElectrodeConditions.FromFrame(frame, RegionKey, FermiLevels);
}
