using System.Diagnostics;
using System.Globalization;
using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Driver;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.ModelFiles;
using MaceScf.Md;
using MaceScf.Models;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// `macescf ipi MODEL --init FILE.xyz (--address HOST:PORT | --unix NAME)`: a saved model as an i-PI socket driver, for
/// molecular dynamics with i-PI or ASE's SocketIOCalculator.
internal sealed class IpiCommand : ICommand
{
    public string Name => "ipi";
    public string Summary => "run a trained model as an i-PI socket driver (molecular dynamics with i-PI or ASE)";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "no_warm_start", "dipole", "charges" };

    public string Help => $"""
        usage: macescf ipi MODEL --init FILE.xyz (--address HOST:PORT | --unix NAME) [SCF options] [--keys MAPPING]
               [--warm_start none|last|linear|quadratic] [--no-warm-start]
               [--field "EX EY EZ"] [--fermi-level V | --total-charge Q] [--dipole] [--charges]
               [--electrode-potentials "μ1 μ2" [--electrode-key KEY]]

        MODEL may also be a plain MACE model (a Python MACE .model file or a file written by `macescf convert` or
        `macescf train --model MACE`): then there is no SCF and energy, forces and virial come straight from MACE. A
        model of the local-source classes (LocalCharges, LocalSplitCharges, FixedChargeBaselinedMACE, MACEQEq) has no
        SCF either: one pass per step; --field, --dipole and --charges apply to it, --fermi-level not, --total-charge
        only to MACEQEq (its charges are equilibrated at that total charge).

        Connects to an i-PI server (i-PI, or ASE's SocketIOCalculator) and answers it as a driver: for every structure the
        server sends, runs the model in MODEL with its SCF and returns energy, forces and, for a periodic system, the
        virial. The first frame of FILE.xyz fixes the system: species (in the server's atom order), total_charge (held
        constant), fermi_level, external_field and pbc; positions and cell come from the server at every step. Each SCF
        starts from the density and Fermi level of the previous steps, extrapolated in time (warm start). Prints one line per step (energy, SCF status
        and updates, forces method). Ends with exit code 0 when the server sends EXIT or closes the connection; a diverged
        SCF stops the driver with exit code 1 (the connection is closed, nothing is sent for that step).

          --init FILE.xyz    the initial structure (extxyz)
          --address H:P      connect to the INET socket HOST:PORT (e.g. localhost:31415)
          --unix NAME        connect to the UNIX socket /tmp/ipi_NAME (i-PI's and ASE's naming)
          --warm_start W     where each step's SCF starts: quadratic (default; 3 y(t−1) − 3 y(t−2) + y(t−3) of the
                             converged densities and Fermi levels), linear (2 y(t−1) − y(t−2)), last (the previous
                             step's), none (the SCF options' initial density and Fermi level)
          --no-warm-start    the same as --warm_start none
          --field "EX EY EZ" uniform applied field for the whole run: the gradient of the applied potential (V/Å;
                             the electric field is its negative), replacing the frame's external_field
          --fermi-level V    hold the Fermi level at V (constant-μ SCF; the total charge follows)
          --total-charge Q   hold the total charge at Q (constant-charge SCF)
          --dipole           send the total dipole with every reply, in the protocol's extras string: the JSON
                             object {"dipole": [Px, Py, Pz]} in e·Bohr (atomic units, like the rest of the wire);
                             record it in i-PI with an extras trajectory output (docs/response.md)
          --charges          also send the atomic charges (e): "charges": [q_1, ...] in the same object
        Without --dipole and --charges the extras string is empty: ASE's SocketIOCalculator (3.22) fails on
        extras longer than one byte.
        {ElectrodeFlags.Help}
        With electrodes the regions are those of the initial frame, every step prints the region charges, and
        --total-charge does not apply (the electrolyte's charge is its electrolyte_charge).

        {ScfFlags.Help}
        {KspaceFlags.Help}
        {BackboneFlags.Help}
        other options:
          --keys MAPPING   file keys of the initial frame's values, e.g. "total_charge=charge,fermi_level=the_VBM"
        """;

    public int Run(CommandLine args, IAnsiConsole console)
    {
        if (args.Positional.Count != 1) throw new UsageException("ipi takes MODEL");
        string init = args.String("init") ?? throw new UsageException("ipi needs --init FILE.xyz (the initial structure)");
        string? address = args.String("address"), unix = args.String("unix");
        if ((address is null) == (unix is null)) throw new UsageException("ipi needs one of --address HOST:PORT or --unix NAME");
        var options = ScfFlags.Read(args);
        var warmStart = WarmStartOption(args);
        var mapping = EvalCommand.ParseKeys(args.String("keys"));
        var kspace = KspaceFlags.Read(args);
        var (conditions, ensemble) = Conditions(args, options);
        options = ensemble;
        bool dipole = args.Flag("dipole"), charges = args.Flag("charges");
        var electrodes = ElectrodeFlags.Read(args);
        var backbone = BackboneFlags.Read(args);
        args.RejectUnknown([]);
        if (electrodes is not null && conditions.TotalCharge is not null)
            throw new UsageException("--total-charge does not apply with --electrode-potentials: the electrolyte is held at the initial frame's "
                + "electrolyte_charge and the electrodes' charges follow their Fermi levels");
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }

        var kind = ModelFileKinds.Detect(args.Positional[0]);
        if (kind != ModelFileKind.FixedPoint && electrodes is not null)
            throw new UsageException("--electrode-potentials needs a fixed-point model (an SCF with a Fermi level)");
        if (kind is ModelFileKind.Mace or ModelFileKind.PythonMace && (conditions != new RunConditions() || dipole || charges))
            throw new UsageException("--field, --fermi-level, --total-charge, --dipole and --charges need a model with charges (a plain MACE model has none)");
        switch (kind)
        {
            case ModelFileKind.LocalSource:
            {
                using var local = LocalSourceModelFile.Load(args.Positional[0]).Freeze();
                backbone.Apply(local.Backbone);
                if (local.Class == ModelClass.MACEQEq ? conditions.FermiLevel is not null : conditions.FermiLevel is not null || conditions.TotalCharge is not null)
                    throw new UsageException(local.Class == ModelClass.MACEQEq
                        ? "--fermi-level does not apply to a MACEQEq model: its charges are equilibrated at the total charge (--total-charge)"
                        : $"--fermi-level and --total-charge do not apply to a {local.Class} model: it has no Fermi level and its total charge is "
                            + "not an input (predicted from the local environment, or fixed by the formal charges); --field applies");
                console.WriteLine($"model: {local.Class}; electrostatics: {kspace(local.Hyperparameters.Electrostatics, local.UseKspace)}");
                return RunOneShot(new LocalSourceCalculator(local), local.Hyperparameters.Mace.AtomicNumbers, local.Class.ToString(), init, mapping,
                    address, unix, console, conditions, dipole, charges);
            }
            case ModelFileKind.Mace or ModelFileKind.PythonMace:
            {
                using var mace = ModelFileKinds.LoadMace(args.Positional[0]);
                backbone.Apply(mace);
                foreach (var p in mace.parameters()) p.requires_grad_(false);
                return RunOneShot(new MaceCalculator(mace), mace.Hyperparameters.AtomicNumbers, "MACE", init, mapping, address, unix, console,
                    conditions, false, false);
            }
        }
        using var model = ModelFile.Load(args.Positional[0]).Freeze();
        backbone.Apply(model.Backbone);
        console.WriteLine($"electrostatics: {kspace(model.Hyperparameters.Electrostatics, model.UseKspace)}");
        var template = new LabelExtractor(mapping, model.Hyperparameters.Electrostatics.DensityMaxL).Extract(
            ExtXyzReader.Read(init).FirstOrDefault() ?? throw new InvalidDataException($"'{init}' has no frames"));
        new SpeciesTable(model.Hyperparameters.Mace.AtomicNumbers).RequireKnown(template.Configuration);
        if (electrodes is not null) conditions = conditions with { Electrodes = electrodes.Of(template.Configuration) };
        var potential = new MdPotential(model, template, options, warmStart, conditions);

        using var stream = address is not null ? IpiEndpoint.ConnectInet(address) : IpiEndpoint.ConnectUnix(unix!);
        console.WriteLine($"i-PI driver: {template.Configuration.AtomCount} atoms from {init}, connected to "
            + (address ?? IpiEndpoint.UnixPrefix + unix) + $"; warm start {WarmStartNames.Name(warmStart)}");
        var updates = new List<int>();
        new IpiClient(stream, template.Configuration.AtomCount, $"the initial structure ({template.Configuration.DescribeOrigin()})").Run(geometry =>
        {
            var clock = Stopwatch.StartNew();
            var prediction = potential.Evaluate(geometry.Positions, geometry.Cell);
            updates.Add(prediction.Steps);
            console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"step {updates.Count - 1}: energy {prediction.Energy:F8} eV, SCF {ScfResult.Name(prediction.Status!.Value)} in {prediction.Steps} "
                + $"update(s), forces {ForcesMethodNames.Name(prediction.Derivation!.Method)}, {clock.Elapsed.TotalSeconds:F2} s{RegionCharges(prediction)}"));
            return new IpiResult(prediction.Energy, prediction.Forces!, MdPotential.Virial(prediction), dipole || charges ? DriverExtras.For(prediction, charges) : "");
        });
        console.WriteLine(backbone.Describe(model.Backbone));
        console.WriteLine(updates.Count == 0
            ? "i-PI driver: the server ended before sending a structure"
            : string.Create(CultureInfo.InvariantCulture,
                $"i-PI driver: {updates.Count} step(s), SCF updates per step: mean {updates.Average():F1}, min {updates.Min()}, max {updates.Max()}"));
        return 0;
    }

    /// A model without an SCF (plain MACE: a macescf MACE model file or a Python `.model` file; a local-source model) as the
    /// driver: energy, forces and virial, and with <paramref name="dipole"/>/<paramref name="charges"/> the extras of a model with
    /// charges; the initial frame's total charge and external field, with <paramref name="run"/>'s field and charge, are the conditions of every step.
    private static int RunOneShot(OneShotCalculator calculator, IReadOnlyList<int> species, string label, string init, KeyMapping mapping,
        string? address, string? unix, IAnsiConsole console, RunConditions run, bool dipole, bool charges)
    {
        var template = new LabelExtractor(mapping, 0).Extract(ExtXyzReader.Read(init).FirstOrDefault() ?? throw new InvalidDataException($"'{init}' has no frames"));
        var system = template.Configuration;
        CheckSpecies(system, species);
        if (calculator.NeedsFormalCharges) FormalChargeData.Require([template], mapping);
        var conditions = run.Apply(Structure.Of(template) with { Multipoles = null });
        bool periodic = system.Pbc.Any(p => p);
        var properties = CalculatorProperties.Energy | CalculatorProperties.Forces | (periodic ? CalculatorProperties.Stress : 0);
        using var stream = address is not null ? IpiEndpoint.ConnectInet(address) : IpiEndpoint.ConnectUnix(unix!);
        console.WriteLine($"i-PI driver ({label}): {system.AtomCount} atoms from {init}, connected to {address ?? IpiEndpoint.UnixPrefix + unix}");
        int steps = 0;
        new IpiClient(stream).Run(geometry =>
        {
            if (geometry.AtomCount != system.AtomCount)
                throw new InvalidDataException($"step {steps}: the server sent {geometry.AtomCount} atoms, the initial structure has {system.AtomCount}");
            var cell = geometry.Cell.Cast<double>().All(x => x == 0) ? null : geometry.Cell;
            if (periodic && cell is null) throw new InvalidDataException($"step {steps}: the system is periodic (pbc) but the server sent no cell");
            var frame = new Configuration(system.AtomicNumbers, geometry.Positions, cell, system.Pbc);
            var prediction = calculator.Calculate(conditions with { Atoms = frame }, properties);
            if (!double.IsFinite(prediction.Energy) || prediction.Forces!.Cast<double>().Any(f => !double.IsFinite(f)))
                throw new InvalidDataException($"step {steps}: the energy or forces are not finite; stopping");
            console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"step {steps++}: energy {prediction.Energy:F8} eV"));
            return new IpiResult(prediction.Energy, prediction.Forces!, prediction.Virial ?? new double[3, 3],
                dipole || charges ? DriverExtras.For(prediction, charges) : "");
        });
        console.WriteLine($"i-PI driver: {steps} step(s)");
        return 0;
    }

    /// The run's conditions from --field, --fermi-level and --total-charge, and the SCF options with the ensemble they imply:
    /// a Fermi level is held at constant μ, a total charge at constant charge.
    private static (RunConditions Conditions, ScfOptions Options) Conditions(CommandLine args, ScfOptions options)
    {
        var field = args.Doubles("field");
        if (field is not null && field.Length != 3) throw new UsageException($"--field takes three numbers \"EX EY EZ\" (V/Å), got {field.Length}");
        double? fermi = args.Double("fermi_level"), charge = args.Double("total_charge");
        if (fermi is not null && charge is not null)
            throw new UsageException("give --fermi-level (constant Fermi level) or --total-charge (constant charge), not both");
        bool explicitEnsemble = args.Has("constant_charge");
        if (fermi is not null && explicitEnsemble && options.ConstantCharge)
            throw new UsageException("--fermi-level holds the Fermi level: it contradicts --constant_charge true");
        if (charge is not null && explicitEnsemble && !options.ConstantCharge)
            throw new UsageException("--total-charge holds the total charge: it contradicts --constant_charge false");
        var ensemble = fermi is not null ? options with { ConstantCharge = false } : charge is not null ? options with { ConstantCharge = true } : options;
        return (new RunConditions(charge, fermi, field), ensemble);
    }

    /// ", region charges Q0 Q1 … e" of a step with electrodes (index 0 the electrolyte), else empty.
    private static string RegionCharges(CalculatorResults results) => results.RegionCharges is { } q
        ? $", region charges {string.Join(' ', q.Select(x => x.ToString("F6", CultureInfo.InvariantCulture)))} e"
        : "";

    /// The default warm start, chosen by measurement (docs/benchmarks.md, "MD warm start").
    public const WarmStart DefaultWarmStart = WarmStart.Quadratic;

    private static WarmStart WarmStartOption(CommandLine args)
    {
        if (args.Flag("no_warm_start"))
        {
            if (args.Has("warm_start")) throw new UsageException("give --warm_start or --no-warm-start, not both");
            return WarmStart.None;
        }
        try
        {
            return args.String("warm_start") is { } text ? WarmStartNames.Parse(text) : DefaultWarmStart;
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static void CheckSpecies(Configuration frame, IReadOnlyList<int> modelSpecies)
    {
        var missing = frame.AtomicNumbers.Distinct().Where(z => !modelSpecies.Contains(z)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"{frame.DescribeOrigin()}: element(s) {string.Join(", ", missing.Select(PeriodicTable.Symbol))} "
                + $"not in the model's species ({string.Join(", ", modelSpecies.Select(PeriodicTable.Symbol))})");
    }
}
