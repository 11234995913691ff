using MaceScf.Cli;
using Spectre.Console;

var console = AnsiConsole.Console;
return new App(console).Run(args);
