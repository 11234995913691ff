namespace MaceScf.Tests;

/// Paths to the data bundled with the repository (copied next to the test assembly).
public static class TestData
{
    public static string Path(params string[] parts) =>
        System.IO.Path.Combine([AppContext.BaseDirectory, "data", .. parts]);

    public static string Fixture(string name) => Path("fixtures", name);
}
