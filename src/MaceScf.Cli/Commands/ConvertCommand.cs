using System.Globalization;
using MaceScf.Mace;
using MaceScf.MaceImport;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// `macescf convert IN.model -o OUT.model`: a Python MACE `.model` file as a macescf MACE model file with its provenance.
internal sealed class ConvertCommand : ICommand
{
    public string Name => "convert";
    public string Summary => "convert a Python MACE .model file (torch.save) into a macescf model file";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string>();

    public string Help => """
        usage: macescf convert IN.model -o OUT.model

        Reads the Python MACE model IN.model (a file written by torch.save(model, path) with MACE or ScaleShiftMACE;
        recognised by its content) and writes OUT.model, a macescf MACE model file with the same weights and, in its
        header, the source file, its SHA-256 and the recorded versions. `macescf eval` and `macescf ipi` accept either
        file and give the same numbers. Unsupported layers are refused with their module path (docs/mace-import.md).
        """;

    public int Run(CommandLine args, IAnsiConsole console)
    {
        if (args.Positional.Count != 1) throw new UsageException("convert takes IN.model");
        string output = args.String("output") ?? throw new UsageException("convert needs -o OUT.model");
        args.RejectUnknown([]);
        string input = args.Positional[0];
        if (!File.Exists(input)) throw new FileNotFoundException($"'{input}' not found", input);
        if (!PythonMaceFile.IsTorchArchive(input))
            throw new InvalidDataException($"'{input}' is not a Python MACE .model file (a torch.save zip archive).");
        using var imported = PythonMaceFile.Load(input);
        MaceModelFile.Save(imported.Model, output, imported.Provenance);
        var h = imported.Hyperparameters;
        var p = imported.Provenance;
        console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{p.PythonClass} from {p.SourcePath} (SHA-256 {p.Sha256}, MACE version {p.MaceVersion ?? "not recorded"}): "
            + $"elements {string.Join(" ", h.AtomicNumbers.Select(Data.PeriodicTable.Symbol))}, hidden {h.ResolveHiddenIrreps()}, "
            + $"{h.NumInteractions} layers, correlation {h.Correlation}, r_max {h.RMax} Å, {imported.Model.ParameterCount} parameters; "
            + $"{imported.Mapping.Count(m => m.Target is not null)} weights copied, {imported.Mapping.Count(m => m.Target is null)} entries checked → {output}"));
        return 0;
    }
}
