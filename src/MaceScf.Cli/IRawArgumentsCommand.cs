using Spectre.Console;

namespace MaceScf.Cli;

/// A subcommand that parses its own arguments (e.g. `train`, whose options are the training configuration's).
internal interface IRawArgumentsCommand : ICommand
{
    int Run(IReadOnlyList<string> args, IAnsiConsole console);
}
