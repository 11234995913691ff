using System.Globalization;
using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using Spectre.Console;
using static TorchSharp.torch;

namespace MaceScf.Cli.Commands;

/// `macescf coulomb FILE --multipoles-key KEY`: electrostatics of the given multipoles, frame by frame.
internal sealed class CoulombCommand : ICommand
{
    /// |Σq − total charge| above which a frame is reported (e).
    public const double ChargeTolerance = 1e-4;

    public string Name => "coulomb";
    public string Summary => "electrostatics of given multipoles: energy, forces, potential, dipole, field features";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "include_field_si" };

    /// The defaults of the electrostatics options (ElectrostaticsOptions holds them; docs/design.md, "Where each default lives").
    static readonly ElectrostaticsOptions Defaults = new();

    public string Help { get; } = string.Create(CultureInfo.InvariantCulture, $$"""
        usage: macescf coulomb FILE --multipoles-key KEY [options] [-o OUT.xyz]

        Evaluates the electrostatics of the Gaussian multipoles stored in every frame of an extended
        XYZ file and prints a table (frame, atoms, method, Σq, |dipole|, energy, max |F|, k-space method and grid, k-vectors).
        With -o, writes the frames again with these keys added (existing keys of the same name are
        replaced):
          info:   electrostatic_energy (Coulomb, eV), electrostatic_field_energy (E·P, eV),
                  electrostatic_total_energy (their sum, eV), dipole (P = Σ q r + Σ d, e·Å),
                  coulomb_* (the options used, the boundary method and number of k-vectors)
          arrays: electrostatic_forces (−∂ total energy/∂r, eV/Å), electrostatic_potential (V,
                  own Gaussian included), field_features (normalised; l-major, then width, then m)
        Multipoles are [q, p_y, p_z, p_x, ...]; arrays wider than (L+1)² are truncated to their
        first (L+1)² columns (as the training key mapping does), narrower ones are an error.
        Lists may be written [1.5,3.0], 1.5,3.0 or "1.5 3.0". --a-b and --a_b are the same option.

        options:
          --multipoles-key KEY                         per-atom array of the multipoles (required)
          -o, --output OUT.xyz                         write the results here (default: table only)
          --atomic_multipoles_max_l L                  multipole order, 0..2 (default: {{Defaults.DensityMaxL}})
          --atomic_multipoles_smearing_width S         Gaussian width σ in Å (default: {{Defaults.SmearingWidth}})
          --electrostatic_pbc_method M                 realspace, pbc, slab, molecule_in_box,
                                                       mixed_periodic or auto (default: {{Defaults.Method.ToName()}})
          --kspace_cutoff_factor F                     scales the reciprocal cutoff of ewald (default: {{Defaults.KspaceCutoffFactor}})
          --kspace_method M                            ewald (direct k-space sum), pme (particle-mesh
                                                       Ewald) or auto (pme from {{KspaceMethodNames.AutoPmeThreshold}} atoms)
                                                       (default: {{Defaults.KspaceMethod.ToName()}})
          --electrostatics_accuracy A                  target relative RMS force error of pme, which
                                                       sets its grid and spline order (default: {{Defaults.ElectrostaticsAccuracy:0e0}})
          --include_electrostatic_self_interaction B   keep the Gaussians' self-energy (default: {{(Defaults.IncludeSelfInteraction ? "true" : "false")}})
          --field_feature_widths LIST                  widths in Å (default: [{{string.Join(", ", Defaults.FieldFeatureWidths.Select(w => w.ToString("0.0##", CultureInfo.InvariantCulture)))}}])
          --field_feature_max_l L                      feature order, 0..2, or None = L (default: {{Defaults.FieldFeatureMaxL}})
          --field_feature_norms N                      None, average (RMS over this file's frames)
                                                       or a list, l-major then width (default: {{CoulombSettings.DefaultNorms}})
          --include_field_si                           include each atom's own density in its features
                                                       (default: {{(Defaults.IncludeFieldSelfInteraction ? "on" : "off")}})
          --total-charge-key KEY                       info key of the total charge, checked against
                                                       Σq within {{ChargeTolerance:0e0}} e (default: {{CoulombSettings.DefaultTotalChargeKey}})
          --external-field-key KEY                     info key of the applied field, the gradient of
                                                       the applied potential in V/Å; adds E·P to the
                                                       energy and its features (default: none; frames
                                                       without it: no field)
          --fermi-level-key KEY                        info key of the Fermi level μ (eV); μ − offset
                                                       enters the l = 0 features (default: none;
                                                       frames without it: no shift)
          --fermi_level_offset X                       offset in eV (default: mean μ of the frames)
        """);

    public int Run(CommandLine args, IAnsiConsole console)
    {
        var settings = CoulombSettings.Read(args);
        if (settings.OutputPath is { } target) OutputLocation.RequireWritable(target);
        var inputs = CoulombInput.ReadAll(ExtXyzReader.Read(settings.InputPath), settings);
        double? offset = CoulombInput.FermiLevelOffset(inputs, settings);
        var shifts = inputs.Select(i => i.FermiLevel - offset).ToList();
        var calculator = new CoulombCalculator(settings.Options, offset);
        var results = inputs.Select(input => calculator.Calculate(
            new Structure(input.Configuration, FermiLevel: input.FermiLevel, ExternalField: input.ExternalField, Multipoles: input.Multipoles))).ToList();

        FieldFeatureNorms norms;
        using (NewDisposeScope())
            norms = settings.Norms(calculator.Layout, () => results.Select(r => tensor(r.FieldFeatures!, dtype: float64)));

        console.WriteLine($"{settings.InputPath}: {results.Count} frame(s)");
        console.Write(Table(inputs, results));
        foreach (var (input, result) in inputs.Zip(results))
        {
            if (input.TotalCharge is double q && Math.Abs(q - result.TotalCharge!.Value) > ChargeTolerance)
                console.WriteLine($"warning: {input.Configuration.DescribeOrigin()}: Σq = {result.TotalCharge:G8} but '{settings.TotalChargeKey}' = {q:G8}");
        }
        NoteMissing(console, inputs, settings.ExternalFieldKey, i => i.ExternalField is null, "no applied field");
        NoteMissing(console, inputs, settings.FermiLevelKey, i => i.FermiLevel is null, "no Fermi-level shift");
        if (settings.OutputPath is { } output)
        {
            ExtXyzWriter.Write(output, inputs.Select((input, k) => CoulombOutput.Frame(input, results[k], settings, norms, shifts[k])));
            console.WriteLine($"wrote {inputs.Count} frame(s) to {output} (field feature norms [{string.Join(", ", norms.PerDegreeAndWidth.Select(n => n.ToString("G6")))}])");
        }
        return 0;
    }

    private static void NoteMissing(IAnsiConsole console, List<CoulombInput> inputs, string? key, Func<CoulombInput, bool> missing, string consequence)
    {
        var frames = inputs.Where(missing).Select(i => i.Configuration.FrameIndex).ToList();
        if (key is not null && frames.Count > 0)
            console.WriteLine($"note: {frames.Count} frame(s) without '{key}' ({consequence}): {string.Join(", ", frames)}");
    }

    private static Table Table(List<CoulombInput> inputs, List<CalculatorResults> results)
    {
        var table = new Table().AddColumns("frame", "atoms", "method", "charge", "|dipole| e·Å", "energy (eV)", "max |F| (eV/Å)", "k-space", "k-vectors");
        foreach (var (input, r) in inputs.Zip(results))
        {
            table.AddRow(
                input.Configuration.FrameIndex.ToString(), input.Configuration.AtomCount.ToString(),
                Markup.Escape(r.Electrostatics!.Value.Method.ToName()), r.TotalCharge!.Value.ToString("F4"),
                Math.Sqrt(r.Dipole!.Sum(d => d * d)).ToString("F4"), r.Energy.ToString("F6"), MaxNorm(r.Forces!).ToString("F6"),
                Markup.Escape(r.Kspace is { Grid: { } grid } ? $"pme {string.Join("x", grid)}" : r.Kspace is null ? "-" : "ewald"),
                r.Electrostatics.Value.KVectorCount.ToString());
        }
        return table;
    }

    /// Largest row norm (0 without rows).
    private static double MaxNorm(double[,] forces) => Enumerable.Range(0, forces.GetLength(0))
        .Select(i => Math.Sqrt(forces[i, 0] * forces[i, 0] + forces[i, 1] * forces[i, 1] + forces[i, 2] * forces[i, 2])).DefaultIfEmpty(0).Max();
}
