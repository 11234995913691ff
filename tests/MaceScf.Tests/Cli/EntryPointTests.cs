using System.Diagnostics;

namespace MaceScf.Tests.Cli;

/// The real `macescf` entry point, run as a process with its output redirected (a log file, a pipe).
public class EntryPointTests
{
    [Fact]
    public void RedirectedOutputIsNotWrappedAtEightyColumns()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "MaceScf.Cli.dll"), "eval", "--help" }) info.ArgumentList.Add(a);
        using var process = Process.Start(info)!;
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(0, process.ExitCode);
        // The usage line is longer than 80 columns and must stay one line.
        Assert.Contains("usage: macescf eval MODEL FILE -o OUT.xyz [SCF options] [--keys MAPPING] [--batch-size B] [--stress] [--no-forces]\n",
            text.ReplaceLineEndings("\n"));
    }
}
