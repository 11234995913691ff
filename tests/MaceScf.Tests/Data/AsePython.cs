using System.Diagnostics;

namespace MaceScf.Tests.Data;

/// A Python interpreter with ASE (Debian's python3-ase; `.ci/run` installs it) running Data/ase_interop.py.
public static class AsePython
{
    private static readonly Lazy<string> Interpreter = new(Find);

    private static string Script => Path.Combine(AppContext.BaseDirectory, "Data", "ase_interop.py");

    /// Runs the interop script with the given arguments; fails the test with ASE's own message on an error.
    public static void Run(params string[] arguments)
    {
        var (exitCode, output) = Execute(Interpreter.Value, [Script, .. arguments]);
        Assert.True(exitCode == 0, $"ase_interop.py {string.Join(' ', arguments)} failed ({exitCode}):\n{output}");
    }

    /// Runs a Python script next to the test assembly (relative path) to its end; fails the test on an error, else returns its
    /// standard output.
    public static string Output(string script, params string[] arguments)
    {
        var (exitCode, output) = Execute(Interpreter.Value, [Path.Combine(AppContext.BaseDirectory, script), .. arguments]);
        Assert.True(exitCode == 0, $"{script} {string.Join(' ', arguments)} failed ({exitCode}):\n{output}");
        return output;
    }

    /// Starts a Python script next to the test assembly (relative path) with its output redirected, for scripts that run
    /// alongside the test (the ASE side of a socket).
    public static Process Start(string script, params string[] arguments)
    {
        var info = new ProcessStartInfo(Interpreter.Value) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        info.ArgumentList.Add(Path.Combine(AppContext.BaseDirectory, script));
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        return Process.Start(info)!;
    }

    private static string Find()
    {
        foreach (var candidate in new[] { "/usr/bin/python3", "python3" })
        {
            try
            {
                if (Execute(candidate, ["-c", "import ase"]).ExitCode == 0) return candidate;
            }
            catch (System.ComponentModel.Win32Exception)
            {
                // Not installed under this name; try the next.
            }
        }
        throw new InvalidOperationException(
            "The ASE interoperability tests need Python 3 with ASE: on Debian `apt-get install python3-ase` (.ci/run installs it).");
    }

    private static (int ExitCode, string Output) Execute(string file, string[] arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments) info.ArgumentList.Add(argument);
        using var process = Process.Start(info)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        string stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        return (process.ExitCode, stdout.Result + stderr);
    }
}
