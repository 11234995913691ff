namespace MaceScf.Tests.Examples;

/// The bundled example folder examples/conductor of the checkout (it is not copied next to the test assembly).
public static class ConductorExample
{
    public static string Folder { get; } = Find();

    public static string File(string name) => Path.Combine(Folder, name);

    static string Find()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine(dir.FullName, "examples", "conductor");
            if (System.IO.File.Exists(Path.Combine(candidate, "config.yaml"))) return candidate;
        }
        throw new DirectoryNotFoundException($"examples/conductor/config.yaml not found above {AppContext.BaseDirectory}");
    }
}
