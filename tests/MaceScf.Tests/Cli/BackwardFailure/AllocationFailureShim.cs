using System.Diagnostics;

namespace MaceScf.Tests.Cli.BackwardFailure;

/// `backward_allocation_failure.c`, compiled with the C compiler (`gcc`, installed by .ci/run) into a shared library for
/// LD_PRELOAD: in a process started with it, libtorch's CPU allocator (`c10::alloc_cpu`) fails with ENOMEM whenever the
/// autograd engine is evaluating a node of a backward pass, and every other allocation — the forward pass's, the .NET
/// runtime's — is left alone (docs/errors.md, "Failures in the backward pass").
internal static class AllocationFailureShim
{
    /// Compiles the library into <paramref name="folder"/> (a test's own folder, deleted with it) and returns its path.
    public static string CompileInto(string folder)
    {
        string source = Path.Combine(AppContext.BaseDirectory, "Cli", "BackwardFailure", "backward_allocation_failure.c");
        string library = Path.Combine(folder, "backward_allocation_failure.so");
        var info = new ProcessStartInfo("gcc") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-shared", "-fPIC", "-O2", "-Wall", "-Werror", "-o", library, source, "-ldl" }) info.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(info)!;
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new InvalidOperationException("these tests need a C compiler, gcc (Debian: apt-get install gcc libc6-dev; .ci/run installs it)", e);
        }
        using (process)
        {
            var error = process.StandardError.ReadToEndAsync();
            string text = process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0) throw new InvalidOperationException($"gcc failed on {source}:\n{text}{error.Result}");
        }
        return library;
    }
}
