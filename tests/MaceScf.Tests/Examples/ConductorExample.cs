namespace MaceScf.Tests.Examples;

/// The bundled example folder examples/conductor of the checkout (it is not copied next to the test assembly).
public static class ConductorExample
{
    public static string Folder { get; } = Path.Combine(TestData.RepositoryRoot, "examples", "conductor");

    public static string File(string name) => Path.Combine(Folder, name);
}
