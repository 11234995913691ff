using Xunit.Abstractions;

namespace MaceScf.Tests;

public static class TestOutputChecks
{
    /// Writes a measured error next to its bound, then asserts it.
    public static void Report(this ITestOutputHelper output, string what, double value, double tolerance)
    {
        output.WriteLine($"{what}: {value:E2} (≤ {tolerance:E0})");
        Assert.True(value <= tolerance, $"{what}: {value}");
    }
}
