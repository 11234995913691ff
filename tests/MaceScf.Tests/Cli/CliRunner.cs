using MaceScf.Cli;
using Spectre.Console;

namespace MaceScf.Tests.Cli;

/// Runs `macescf` in-process and captures what it prints.
public static class CliRunner
{
    public static (int ExitCode, string Output) Run(params string[] args)
    {
        var writer = new StringWriter();
        int code = new App(Console(writer, terminal: false, width: 200)).Run(args);
        return (code, writer.ToString());
    }

    /// A console writing to <paramref name="writer"/>, as a terminal (ANSI, interactive) or as a file, without colours.
    public static IAnsiConsole Console(TextWriter writer, bool terminal, int width)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(writer),
            Ansi = terminal ? AnsiSupport.Yes : AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = terminal ? InteractionSupport.Yes : InteractionSupport.No,
        });
        console.Profile.Width = width;
        return console;
    }
}
