using System.Runtime.CompilerServices;

namespace MaceScf.Tests;

internal static class TestAssemblySetup
{
    /// The same libtorch process settings as the `macescf` program, applied before any test creates a tensor.
    [ModuleInitializer]
    internal static void Initialise() => NativeTuning.Apply();
}
