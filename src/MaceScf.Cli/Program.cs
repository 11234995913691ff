using MaceScf;
using MaceScf.Cli;
using Spectre.Console;

NativeTuning.Apply(); // before the first tensor operation
return new App(AnsiConsole.Console).Run(args);
