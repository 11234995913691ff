using MaceScf.Calculators;
using MaceScf.Cli.Commands;
using MaceScf.Data;
using Spectre.Console;

namespace MaceScf.Cli;

/// Dispatches `macescf COMMAND ...` to its subcommand and turns failures into exit codes:
/// 0 success, 1 failed (bad data, diverged run, ...), 2 wrong usage.
internal sealed class App(IAnsiConsole console)
{
    private readonly ICommand[] _commands = [new InspectCommand(), new CoulombCommand(), new SynthCommand(), new EvalCommand(), new ConvertCommand(), new TrainCommand(), new IpiCommand(), new SpectrumCommand()];

    public int Run(string[] args)
    {
        if (args.Length == 0 || args[0] is "--help" or "-h" or "help")
        {
            PrintOverview();
            return args.Length == 0 ? 2 : 0;
        }
        if (args[0] == "--version")
        {
            console.WriteLine($"macescf {MaceScf.Version.Text}");
            return 0;
        }
        var command = _commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            string? near = MaceScf.Text.ClosestMatch.Find(args[0], _commands.Select(c => c.Name));
            console.MarkupLineInterpolated($"[red]error:[/] unknown command '{args[0]}'{(near is null ? "" : $" (did you mean '{near}'?)")}");
            PrintOverview();
            return 2;
        }
        try
        {
            var line = new CommandLine(args[1..], command.Flags);
            if (line.Has("help"))
            {
                console.WriteLine(command.Help);
                return 0;
            }
            return command.Run(line, console);
        }
        catch (UsageException e)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            console.WriteLine($"Run 'macescf {command.Name} --help' for usage.");
            return 2;
        }
        catch (Exception e) when (e is KeyMappingException or ScfFailedException or MaceImport.MaceImportException or IOException or UnauthorizedAccessException or FormatException or ArgumentException or InvalidDataException or InvalidOperationException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {e.Message}");
            return 1;
        }
        catch (Exception e) when (NativeFailure.Is(e) || e is OverflowException)
        {
            console.MarkupLineInterpolated($"[red]error:[/] {(e is OutOfMemoryException ? "out of memory" : "computation failed")}: {e.Message.Split('\n', 2)[0]}");
            return 1;
        }
    }

    private void PrintOverview()
    {
        console.WriteLine($"macescf {MaceScf.Version.Text}: fixed-point SCF electrostatic MACE potentials");
        console.WriteLine();
        console.WriteLine("usage: macescf COMMAND [options]      (macescf COMMAND --help for details)");
        console.WriteLine();
        foreach (var c in _commands) console.WriteLine($"  {c.Name,-10} {c.Summary}");
    }
}
