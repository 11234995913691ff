using MaceScf;
using MaceScf.Cli;
using Spectre.Console;

NativeTuning.Apply(); // before the first tensor operation
var console = AnsiConsole.Console;
// Output to a file or pipe has no terminal width: do not wrap log lines and help at Spectre's default of 80 columns.
const int redirectedWidth = 200;
if (Console.IsOutputRedirected) console.Profile.Width = redirectedWidth;
return new App(console).Run(args);
