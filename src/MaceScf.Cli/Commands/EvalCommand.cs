using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.ModelFiles;
using MaceScf.Training;
using Spectre.Console;
using static TorchSharp.torch;

namespace MaceScf.Cli.Commands;

/// `macescf eval MODEL FILE -o OUT.xyz`: runs a saved fixed-point model with its SCF loop on every frame, or a plain MACE
/// model (a macescf MACE model file or a Python MACE `.model` file, told apart by content).
internal sealed class EvalCommand : ICommand
{
    public const string Prefix = "macescf_";

    public string Name => "eval";
    public string Summary => "run a trained model (with its SCF loop) on an extxyz file; write predictions and an error table";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "stress", "no_forces", "born_charges", "polarizability" };

    public string Help => $"""
        usage: macescf eval MODEL FILE -o OUT.xyz [SCF options] [--keys MAPPING] [--batch-size B] [--stress] [--no-forces]
                          [--born-charges] [--polarizability] [--electrode-potentials "μ1 μ2" [--electrode-key KEY]]

        MODEL may also be a plain MACE model: a Python MACE .model file (torch.save; recognised by its content) or
        a file written by `macescf convert`. Then OUT.xyz gets macescf_energy, macescf_node_energy, macescf_forces
        and (--stress, periodic frames) macescf_stress, and the SCF options do not apply.

        Runs the model in MODEL (a file written by macescf) on every frame of the extxyz FILE and
        writes OUT.xyz: the input frames plus macescf_energy, macescf_forces, macescf_density_coefficients
        ([q, p_y, p_z, p_x, ...] per atom), macescf_dipole (Cartesian), macescf_fermi_level,
        macescf_total_charge, macescf_energy_<term> (e0, local, local_electron, coulomb, external_field),
        macescf_scf_status (converged / diverged / max_steps_reached), macescf_scf_steps and
        macescf_scf_history (mean |Δp| of every update). Prints an SCF summary and, when FILE has
        reference labels, an error table. Exit code 1 when any frame diverged. With forces or stress,
        macescf_forces_method says how they were differentiated (implicit / unroll) and the summary
        lists the batches whose implicit derivative fell back to the unroll, and why.

        {ScfFlags.Help}
        {KspaceFlags.Help}
        {BackboneFlags.Help}
        other options:
          --keys MAPPING   file keys of the labels, e.g. "energy=AIMS_energy,forces=AIMS_forces,
                           atomic_multipoles=DMA_coeficients,external_field=an_applied_field,
                           fermi_level=the_VBM,dipole=AIMS_dipole" (default: the canonical names)
          --batch-size B   frames per batch (default 4)
          --stress         also compute the stress (periodic frames)
          --no-forces      skip forces (faster)
          --born-charges   Born effective charges Z*_i,αβ = ∂P_α/∂r_iβ (e) of the converged SCF, in its
                           ensemble (a LocalCharges/LocalSplitCharges model: of its polarisation), as
                           macescf_born_charges (N × 9: xx xy xz yx … per atom; docs/response.md)
          --polarizability polarizability α_αβ = ∂P_α/∂E_β (e·Å²/V, E the electric field = −external_field)
                           as macescf_polarizability (constant total charge) and
                           macescf_polarizability_constant_fermi_level (9 values each, row-major);
                           a LocalSplitCharges model with compute_polarizability: its readout's α
        A frame whose SCF did not converge has no response properties: it is named and the exit code is 1.
        {ElectrodeFlags.Help}
        """;

    public int Run(CommandLine args, IAnsiConsole console)
    {
        if (args.Positional.Count != 2) throw new UsageException("eval takes MODEL and FILE");
        string output = args.String("output") ?? throw new UsageException("eval needs -o OUT.xyz");
        var options = ScfFlags.Read(args);
        int batchSize = args.Int("batch_size") ?? 4;
        bool stress = args.Flag("stress"), forces = !args.Flag("no_forces");
        var response = (args.Flag("born_charges") ? CalculatorProperties.BornCharges : 0)
            | (args.Flag("polarizability") ? CalculatorProperties.Polarizability : 0);
        var mapping = ParseKeys(args.String("keys"));
        var kspace = KspaceFlags.Read(args);
        var electrodes = ElectrodeFlags.Read(args);
        var backbone = BackboneFlags.Read(args);
        args.RejectUnknown([]);
        try
        {
            options.Validate();
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
        if (batchSize < 1) throw new UsageException("--batch-size must be ≥ 1");
        OutputLocation.RequireWritable(output);

        var kind = ModelFileKinds.Detect(args.Positional[0]);
        if (kind is not (ModelFileKind.FixedPoint or ModelFileKind.LocalSource) && response != 0)
            throw new UsageException("--born-charges and --polarizability need a fixed-point model (a density that responds) or a local-source "
                + "model that predicts them");
        if (kind != ModelFileKind.FixedPoint && electrodes is not null)
            throw new UsageException("--electrode-potentials needs a fixed-point model (an SCF with a Fermi level)");
        if (electrodes is not null && response != 0)
            throw new UsageException("--born-charges and --polarizability are not available with --electrode-potentials");
        switch (kind)
        {
            case ModelFileKind.LocalSource:
            {
                using var local = LocalSourceModelFile.Load(args.Positional[0]).Freeze();
                backbone.Apply(local.Backbone);
                console.WriteLine($"model: {local.Class}; electrostatics: {kspace(local.Hyperparameters.Electrostatics, local.UseKspace)}");
                if (response.HasFlag(CalculatorProperties.BornCharges) && local.Class == Models.ModelClass.MACEQEq)
                    throw new UsageException("--born-charges: not provided for a MACEQEq model (its charge solve holds the Coulomb matrix "
                        + "constant in the geometry); use a fixed-point or another local-source model");
                if (response.HasFlag(CalculatorProperties.Polarizability) && !local.Hyperparameters.ComputePolarizability)
                    throw new UsageException($"--polarizability: this {local.Class} model has no polarizability readout (train a LocalSplitCharges "
                        + "model with compute_polarizability true)");
                int localCode = RunOneShot(new LocalSourceCalculator(local), local.Hyperparameters.Electrostatics.DensityMaxL, args.Positional[1], output,
                    mapping, batchSize, forces, stress, console, response);
                console.WriteLine(backbone.Describe(local.Backbone));
                return localCode;
            }
            case ModelFileKind.Mace or ModelFileKind.PythonMace:
            {
                using var mace = ModelFileKinds.LoadMace(args.Positional[0]);
                backbone.Apply(mace);
                foreach (var p in mace.parameters()) p.requires_grad_(false);
                int maceCode = RunOneShot(new MaceCalculator(mace), 0, args.Positional[1], output, mapping, batchSize, forces, stress, console);
                console.WriteLine(backbone.Describe(mace));
                return maceCode;
            }
        }
        using var model = ModelFile.Load(args.Positional[0]).Freeze();
        backbone.Apply(model.Backbone);
        console.WriteLine($"electrostatics: {kspace(model.Hyperparameters.Electrostatics, model.UseKspace)}");
        var extractor = new LabelExtractor(mapping, model.Hyperparameters.Electrostatics.DensityMaxL);
        var species = new SpeciesTable(model.Hyperparameters.Mace.AtomicNumbers);
        var frames = extractor.ExtractAll(ExtXyzReader.Read(args.Positional[1]).Select(c =>
        {
            species.RequireKnown(c);
            return c;
        })).ToList();
        if (frames.Count == 0) throw new InvalidDataException($"'{args.Positional[1]}' has no frames");
        MappedKeys.Check(args.String("keys"), frames.Select(f => f.Configuration).ToList(), args.Positional[1], console);
        // Every frame's regions are read (and checked) before the first SCF.
        var structures = frames.Select(f => electrodes is null ? Structure.Of(f) : Structure.Of(f) with { Electrodes = electrodes.Of(f.Configuration) })
            .ToList();

        var calculator = new FixedPointCalculator(model, options);
        var properties = CalculatorProperties.Energy | (forces ? CalculatorProperties.Forces : 0) | (stress ? CalculatorProperties.Stress : 0) | response;
        var predictions = LiveProgress.Run(console, work =>
        {
            var done = new List<FramePrediction>(frames.Count);
            foreach (var p in FramePrediction.Evaluate(calculator, frames, structures, properties, batchSize))
            {
                done.Add(p);
                work.Report(new WorkProgress("SCF frames", done.Count, frames.Count));
            }
            return done;
        });
        ExtXyzWriter.Write(output, predictions.Select(ToFrame));
        ScfSummaryTable.Print(console, predictions, $"SCF: {predictions.Count} frame(s) → {output}");
        EvalErrorTable.Print(console, predictions);
        console.WriteLine(backbone.Describe(model.Backbone));
        var noResponse = response == 0 ? [] : predictions.Where(p => p.Results.ResponseFailure is not null).ToList();
        foreach (var p in noResponse)
            console.MarkupLineInterpolated($"[red]{p.Frame.Configuration.DescribeOrigin()}: no Born charges or polarizability ({p.Results.ResponseFailure})[/]");
        return predictions.Any(p => ScfResult.Failed(p.Results.Status!.Value)) || noResponse.Count > 0 ? 1 : 0;
    }

    /// A model without an SCF (plain MACE: a macescf MACE model file or a Python `.model` file; a local-source model): energy,
    /// forces and stress, and per-atom energies (MACE) or the multipoles (local-source models).
    private static int RunOneShot(OneShotCalculator calculator, int multipoleMaxL, string data, string output, KeyMapping mapping, int batchSize,
        bool forces, bool stress, IAnsiConsole console, CalculatorProperties response = 0)
    {
        var frames = new LabelExtractor(mapping, multipoleMaxL).ExtractAll(ExtXyzReader.Read(data)).ToList();
        if (frames.Count == 0) throw new InvalidDataException($"'{data}' has no frames");
        if (calculator.NeedsFormalCharges) FormalChargeData.Require(frames, mapping);
        var properties = CalculatorProperties.Energy | (forces ? CalculatorProperties.Forces : 0) | (stress ? CalculatorProperties.Stress : 0) | response;
        var predictions = FramePrediction.Evaluate(calculator, frames, properties, batchSize).ToList();
        ExtXyzWriter.Write(output, predictions.Select(ToOneShotFrame));
        console.WriteLine($"{(calculator is MaceCalculator ? "MACE" : "model")}: {predictions.Count} frame(s) → {output}");
        EvalErrorTable.Print(console, predictions);
        return 0;
    }

    private static Configuration ToOneShotFrame(FramePrediction prediction)
    {
        var (labelled, p) = prediction;
        var frame = Copy(labelled.Configuration);
        frame.Info[Prefix + "energy"] = p.Energy;
        if (p.NodeEnergies is not null) frame.Arrays[Prefix + "node_energy"] = p.NodeEnergies;
        if (p.Electronegativity is not null) frame.Arrays[Prefix + "electronegativity"] = p.Electronegativity;
        if (p.Hardness is not null) frame.Arrays[Prefix + "hardness"] = p.Hardness;
        if (p.Forces is not null) frame.Arrays[Prefix + "forces"] = p.Forces;
        if (p.Stress is not null) frame.Info[Prefix + "stress"] = p.Stress;
        if (p.BornCharges is not null) frame.Arrays[Prefix + "born_charges"] = p.BornCharges;
        if (p.Polarizability is not null) frame.Info[Prefix + "polarizability"] = Flat(p.Polarizability);
        if (p.Density is { } density)
        {
            foreach (var (name, value) in p.Terms) frame.Info[$"{Prefix}energy_{name}"] = value;
            frame.Arrays[Prefix + "density_coefficients"] = density;
            frame.Arrays[Prefix + "partial_charges"] = Enumerable.Range(0, density.GetLength(0)).Select(i => density[i, 0]).ToArray();
            frame.Info[Prefix + "dipole"] = p.Dipole!;
            frame.Info[Prefix + "total_charge"] = p.TotalCharge!.Value;
        }
        return frame;
    }

    private static Configuration Copy(Configuration source)
    {
        var frame = new Configuration(source.AtomicNumbers, source.Positions, source.Cell, source.Pbc)
        {
            SourceName = source.SourceName, FrameIndex = source.FrameIndex, SourceLine = source.SourceLine,
        };
        foreach (var (k, v) in source.Info) frame.Info[k] = v;
        foreach (var (k, v) in source.Arrays) frame.Arrays[k] = v;
        return frame;
    }

    private static double[] Flat(double[,] matrix) => matrix.Cast<double>().ToArray();

    /// "energy=AIMS_energy,forces=AIMS_forces": each canonical name goes to info_keys or arrays_keys.
    public static KeyMapping ParseKeys(string? text)
    {
        if (text is null) return KeyMapping.Default;
        var info = new Dictionary<string, string> { [PropertyKeys.TotalCharge] = PropertyKeys.TotalCharge };
        var arrays = new Dictionary<string, string>();
        foreach (var entry in text.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var kv = entry.Split('=', 2, StringSplitOptions.TrimEntries);
            if (kv.Length != 2 || kv[1].Length == 0) throw new UsageException($"--keys entries are property=key, got '{entry}'");
            if (PropertyKeys.InfoProperties.Contains(kv[0])) info[kv[0]] = kv[1];
            else if (PropertyKeys.ArrayProperties.Contains(kv[0])) arrays[kv[0]] = kv[1];
            else
                throw new UsageException($"--keys: unknown property '{kv[0]}'; valid: "
                    + string.Join(", ", PropertyKeys.InfoProperties.Concat(PropertyKeys.ArrayProperties)));
        }
        try
        {
            return new KeyMapping("eval", info, arrays);
        }
        catch (ArgumentException e)
        {
            throw new UsageException(e.Message);
        }
    }

    private static Configuration ToFrame(FramePrediction prediction)
    {
        var (labelled, p) = prediction;
        var frame = Copy(labelled.Configuration);
        frame.Info[Prefix + "energy"] = p.Energy;
        foreach (var (name, value) in p.Terms) frame.Info[$"{Prefix}energy_{name}"] = value;
        frame.Info[Prefix + "dipole"] = p.Dipole!;
        frame.Info[Prefix + "total_charge"] = p.TotalCharge!.Value;
        frame.Info[Prefix + "fermi_level"] = p.FermiLevel!.Value;
        frame.Info[Prefix + "scf_status"] = ScfResult.Name(p.Status!.Value);
        frame.Info[Prefix + "scf_steps"] = (long)p.Steps;
        frame.Info[Prefix + "scf_history"] = p.History;
        if (p.Stress is not null) frame.Info[Prefix + "stress"] = p.Stress;
        if (p.Forces is not null) frame.Arrays[Prefix + "forces"] = p.Forces;
        if (p.Derivation is not null) frame.Info[Prefix + "forces_method"] = ForcesMethodNames.Name(p.Derivation.Method);
        frame.Arrays[Prefix + "density_coefficients"] = p.Density!;
        if (p.BornCharges is not null) frame.Arrays[Prefix + "born_charges"] = p.BornCharges;
        if (p.Polarizability is not null) frame.Info[Prefix + "polarizability"] = Flat(p.Polarizability);
        if (p.PolarizabilityAtFermiLevel is not null) frame.Info[Prefix + "polarizability_constant_fermi_level"] = Flat(p.PolarizabilityAtFermiLevel);
        if (p.RegionCharges is not null) frame.Info[Prefix + "region_charges"] = p.RegionCharges;
        if (p.RegionFermiLevels is not null) frame.Info[Prefix + "region_fermi_levels"] = p.RegionFermiLevels;
        return frame;
    }
}
