using System.Diagnostics;

namespace MaceScf.Tests.Cli;

/// The real CLI (`dotnet MaceScf.Cli.dll ARGS`) in a child process, its standard output and error captured; optionally
/// started through a wrapper command (e.g. `prlimit --data=N`) and with extra environment variables.
internal static class CliProcess
{
    public static (int Code, string Text) Run(string[] args, string[]? wrapper = null, IReadOnlyDictionary<string, string>? environment = null)
    {
        var command = (wrapper ?? []).Concat(["dotnet", Path.Combine(AppContext.BaseDirectory, "MaceScf.Cli.dll")]).Concat(args).ToArray();
        var info = new ProcessStartInfo(command[0]) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in command.Skip(1)) info.ArgumentList.Add(a);
        foreach (var (name, value) in environment ?? new Dictionary<string, string>()) info.Environment[name] = value;
        using var process = Process.Start(info)!;
        var error = process.StandardError.ReadToEndAsync();
        string text = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, text + error.Result);
    }
}
