namespace MaceScf.Tests;

/// Paths to the data bundled with the repository (copied next to the test assembly).
public static class TestData
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    public static string Fixture(string name) => Path("fixtures", name);

    /// The root of the checkout (the folder with MaceScf.slnx above the test assembly).
    public static string RepositoryRoot { get; } = FindRoot();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(System.IO.Path.Combine(dir.FullName, "MaceScf.slnx"))) return dir.FullName;
        throw new DirectoryNotFoundException($"MaceScf.slnx not found above {AppContext.BaseDirectory}");
    }
}
