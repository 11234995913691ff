using MaceScf.Cli;
using Spectre.Console;

namespace MaceScf.Tests.Cli;

/// Runs `macescf` in-process and captures what it prints.
public static class CliRunner
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
        });
        console.Profile.Width = 200;
        int code = new App(console).Run(args);
        return (code, writer.ToString());
    }
}
