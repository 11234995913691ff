using System.Runtime.InteropServices;

namespace MaceScf;

/// Failures of the native side (libtorch's errors arrive as <see cref="ExternalException"/>, a failed allocation also as
/// <see cref="OutOfMemoryException"/>), turned into an error that names the frames being computed and what to change, so
/// that none reaches the user as a crash (docs/errors.md).
internal static class NativeFailure
{
    public static bool Is(Exception e) => e is ExternalException or OutOfMemoryException;

    public static InvalidDataException InFrames(Exception e, string frames, string remedy)
    {
        string first = e.Message.Split('\n', 2)[0].Trim();
        bool memory = e is OutOfMemoryException || first.Contains("alloc", StringComparison.OrdinalIgnoreCase)
            || first.Contains("memory", StringComparison.OrdinalIgnoreCase);
        string where = e is BackwardPassException b ? $" in the backward pass ({b.Purpose})" : "";
        if (e is BackwardPassException) first = (e.InnerException?.Message ?? first).Split('\n', 2)[0].Trim();
        return new InvalidDataException(memory
            ? $"{frames}: out of memory{where} ({first}); {remedy}"
            : $"{frames}: the computation failed in libtorch{where} ({first}); {remedy}", e);
    }
}
