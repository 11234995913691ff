using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.Synthetic;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// `macescf synth --system NAME --count N --seed S -o FILE.xyz`: labelled frames from the
/// polarisable teacher (docs/synth.md).
internal sealed class SynthCommand : ICommand
{
    public const int DefaultCount = 10;
    public const double DefaultSmearingWidth = 1.5;

    public string Name => "synth";
    public string Summary => "generate labelled data from a known polarisable teacher model (demo data, tests)";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();

    public string Help => $"""
        usage: macescf synth --system NAME -o FILE.xyz [--count N] [--seed S] [options]

        Generates structures of one system and labels them with an exact polarisable
        charge-equilibration teacher in the Gaussian multipole basis (docs/synth.md).
        Each frame has, under the canonical names that the default heads mapping reads:
          info:   energy (eV; the grand potential E + μQ at constant Fermi level),
                  total_charge (e), fermi_level (eV), dipole (e·Å), external_field (V/Å,
                  gradient of the applied potential), config_dipole_weight,
                  config_type (= the system), teacher_* (the teacher's parameters)
          arrays: forces (eV/Å), atomic_multipoles ([q, p_y, p_z, p_x])
        The capacitor also has the conditions of its electrodes (docs/response.md): the array
        electrode (0 electrolyte, 1 and 2 the electrodes), electrode_fermi_levels and
        electrolyte_charge, and the teacher's teacher_region_charges and teacher_capacitance
        (C_rs = −∂Q_r/∂μ_s, e/V, row-major); its energy adds Σ μ_r Q_r of the electrodes.
        The same seed gives the same file. Lists may be written [0,0,0.1], 0,0,0.1 or "0 0 0.1".

        systems:
        {string.Join("\n", SyntheticSystems.All.Select(s => $"  {s.Name,-16} {s.Description}"))}

        options:
          --system NAME                                one of the systems above (required)
          -o, --output FILE.xyz                        where to write the frames (required)
          --count N                                    number of frames (default: {DefaultCount})
          --seed S                                     seed of System.Random (default: 0)
          --applied-field "EX EY EZ"                   gradient of the applied potential in V/Å for
                                                       every frame (default: the system's own)
          --total-charge Q                             solve at this total charge in e (default: the
                                                       system's own)
          --fermi-level MU                             solve at this Fermi level in eV instead
                                                       (default: only the conductor, per frame)
          --electrode-potentials "MU1 MU2"             capacitor: hold the electrodes at these Fermi levels
                                                       (eV) in every frame (default: drawn per frame);
                                                       --total-charge is then the electrolyte's charge
          --electrostatic_pbc_method M                 realspace, pbc, slab, molecule_in_box,
                                                       mixed_periodic or auto (default: auto =
                                                       realspace for clusters, else mixed_periodic)
          --atomic_multipoles_smearing_width S         Gaussian width σ in Å (default: {DefaultSmearingWidth})
        """;

    public int Run(CommandLine args, IAnsiConsole console)
    {
        string? systemName = args.String("system");
        string? output = args.String("output");
        int count = args.Int("count") ?? DefaultCount;
        int seed = args.Int("seed") ?? 0;
        var field = args.Doubles("applied_field");
        var overrides = new SynthesisOverrides
        {
            ExternalField = field,
            TotalCharge = args.Double("total_charge"),
            FermiLevel = args.Double("fermi_level"),
            ElectrodeFermiLevels = args.Doubles("electrode_potentials"),
        };
        double sigma = args.Double("atomic_multipoles_smearing_width") ?? DefaultSmearingWidth;
        string method = args.String("electrostatic_pbc_method") ?? "auto";
        args.RejectUnknown([]);

        if (args.Positional.Count > 0) throw new UsageException($"synth takes no positional arguments, got '{args.Positional[0]}'");
        if (systemName is null) throw new UsageException($"--system is required ({SystemNames})");
        var system = SyntheticSystems.Find(systemName) ?? throw new UsageException(UnknownSystem(systemName));
        if (output is null) throw new UsageException("-o/--output FILE.xyz is required");
        if (count < 1) throw new UsageException($"--count must be at least 1, got {count}");
        if (field is not null && field.Length != 3) throw new UsageException($"--applied-field needs three numbers (V/Å), got {field.Length}");
        if (overrides.TotalCharge is not null && overrides.FermiLevel is not null)
            throw new UsageException("give either --total-charge (constant charge) or --fermi-level (constant Fermi level), not both");
        if (overrides.ElectrodeFermiLevels is { } levels && (system is not CapacitorSystem || levels.Length != 2))
            throw new UsageException($"--electrode-potentials takes two Fermi levels and applies to the capacitor only, got {levels.Length} for {system.Name}");
        if (!(sigma > 0)) throw new UsageException($"--atomic_multipoles_smearing_width must be positive, got {sigma}");
        var parameters = new TeacherParameters { Electrostatics = TeacherParameters.ForSmearingWidth(sigma, Method(method)) };

        var frames = new SyntheticDataGenerator(system, parameters, overrides).Frames(count, seed).ToList();
        ExtXyzWriter.Write(output, frames);
        console.WriteLine($"wrote {frames.Count} frame(s) of {system.Name} (seed {seed}) to {output}");
        console.Write(SummaryTable(frames));
        return 0;
    }

    static string SystemNames => $"one of {string.Join(", ", SyntheticSystems.All.Select(s => s.Name))}";

    static string UnknownSystem(string name)
    {
        string? near = MaceScf.Text.ClosestMatch.Find(name, SyntheticSystems.All.Select(s => s.Name));
        return $"unknown system '{name}'" + (near is null ? "" : $" (did you mean '{near}'?)") + $"; {SystemNames}";
    }

    static BoundaryMethod Method(string name)
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

    static Table SummaryTable(List<Configuration> frames)
    {
        var table = new Table().AddColumns("quantity", "min", "max");
        void Row(string name, IEnumerable<double> values, string format)
        {
            var list = values.ToList();
            table.AddRow(Markup.Escape(name), list.Min().ToString(format), list.Max().ToString(format));
        }
        Row("atoms", frames.Select(f => (double)f.AtomCount), "F0");
        Row("energy (eV)", frames.Select(f => (double)f.Info[PropertyKeys.Energy]), "F4");
        Row("total charge (e)", frames.Select(f => (double)f.Info[PropertyKeys.TotalCharge]), "F4");
        Row("atomic charge (e)", frames.SelectMany(Charges), "F4");
        Row("Fermi level (eV)", frames.Select(f => (double)f.Info[PropertyKeys.FermiLevel]), "F4");
        Row("max |F| (eV/Å)", frames.Select(MaxForce), "F4");
        return table;
    }

    static IEnumerable<double> Charges(Configuration frame)
    {
        var multipoles = (double[,])frame.Arrays[PropertyKeys.AtomicMultipoles];
        return Enumerable.Range(0, frame.AtomCount).Select(i => multipoles[i, 0]);
    }

    static double MaxForce(Configuration frame)
    {
        var forces = (double[,])frame.Arrays[PropertyKeys.Forces];
        return Enumerable.Range(0, frame.AtomCount)
            .Max(i => Math.Sqrt(forces[i, 0] * forces[i, 0] + forces[i, 1] * forces[i, 1] + forces[i, 2] * forces[i, 2]));
    }
}
