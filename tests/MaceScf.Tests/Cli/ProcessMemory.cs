using System.Globalization;

namespace MaceScf.Tests.Cli;

/// The resident memory of the test process from /proc/self (Linux): its peak (VmHWM) can be reset and read back.
internal static class ProcessMemory
{
    /// Resets the kernel's peak-RSS record of this process (VmHWM) and returns the current resident size (bytes).
    public static long ResetPeak()
    {
        File.WriteAllText("/proc/self/clear_refs", "5");
        return StatusKb("VmRSS") * 1024;
    }

    /// The peak resident size since the last reset (bytes).
    public static long Peak() => StatusKb("VmHWM") * 1024;

    private static long StatusKb(string field)
    {
        var line = File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal));
        return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
    }
}
