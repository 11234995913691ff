using Spectre.Console;

namespace MaceScf.Cli;

/// One `macescf` subcommand.
internal interface ICommand
{
    string Name { get; }
    string Summary { get; }
    /// Full `--help` text: synopsis and every option with its default.
    string Help { get; }
    /// Options that take no value.
    IReadOnlySet<string> Flags { get; }
    int Run(CommandLine args, IAnsiConsole console);
}
