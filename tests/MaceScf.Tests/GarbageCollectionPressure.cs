using System.Runtime.InteropServices;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests;

/// Runs a computation many times while another thread collects garbage and runs finalizers without pause. TorchSharp
/// frees a Scalar in its finalizer and does not keep it alive while libtorch reads it, so a Scalar our code does not hold
/// can be freed during the native call: "Expected false to be true" from c10::Scalar::toDouble, "Unknown scalar type", or
/// a wrong number (docs/design.md, "Tensor lifetimes", "Scalars"). Enough repeats that TorchSharp's methods reach tier-1
/// code during the loop (tier 0 keeps the arguments alive).
internal static class GarbageCollectionPressure
{
    /// Runs <paramref name="matchesReference"/> <paramref name="repeats"/> times (each in its own dispose scope) under
    /// continuous collection; asserts that no run threw a native error and that every run matched the reference.
    public static void AssertUnaffected(ITestOutputHelper output, string what, int repeats, Func<bool> matchesReference)
    {
        using var stop = new CancellationTokenSource();
        var collector = new Thread(() =>
        {
            while (!stop.IsCancellationRequested)
            {
                GC.Collect(0);
                GC.WaitForPendingFinalizers();
            }
        }) { IsBackground = true };
        collector.Start();
        int differing = 0;
        var failures = new List<string>();
        try
        {
            for (int i = 0; i < repeats; i++)
            {
                using var step = NewDisposeScope();
                try
                {
                    if (!matchesReference()) differing++;
                }
                catch (ExternalException e)
                {
                    failures.Add(e.Message.Split('\n', 2)[0]);
                }
            }
        }
        finally
        {
            stop.Cancel();
            collector.Join();
        }
        output.WriteLine($"{repeats} {what} under continuous garbage collection: {failures.Count} failed, {differing} differed");
        Assert.Empty(failures);
        Assert.Equal(0, differing);
    }
}
