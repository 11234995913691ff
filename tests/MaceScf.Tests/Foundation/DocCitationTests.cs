using System.Text.RegularExpressions;

namespace MaceScf.Tests.Foundation;

/// Code comments cite project documents only, as `docs/FILE.md, "Section"`: every cited section exists as a heading of
/// that file (the heading, or its text before a parenthesis), and no source file, doc or build file cites a document the repository does not ship.
public sealed class DocCitationTests
{
    private static readonly Regex Citation = new("docs/([A-Za-z0-9_-]+\\.md), \"([^\"]+)\"", RegexOptions.Compiled);

    private static readonly Regex Outside = new("notes §|spec §|DESIGN(\\.md)? §|reference notes", RegexOptions.Compiled);

    private static IEnumerable<string> SourceFiles() =>
        new[] { "src", "tests", "bench" }.Select(d => Path.Combine(TestData.RepositoryRoot, d))
            .SelectMany(d => Directory.EnumerateFiles(d, "*.cs", SearchOption.AllDirectories))
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}")
                && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}")
                && !f.EndsWith(nameof(DocCitationTests) + ".cs"));

    [Fact]
    public void EveryCitedSectionExists()
    {
        var headings = new Dictionary<string, HashSet<string>>();
        var missing = new List<string>();
        int cited = 0;
        foreach (var file in SourceFiles())
            foreach (Match match in Citation.Matches(File.ReadAllText(file)))
            {
                cited++;
                string doc = match.Groups[1].Value, section = match.Groups[2].Value;
                if (!headings.TryGetValue(doc, out var set))
                {
                    string path = Path.Combine(TestData.RepositoryRoot, "docs", doc);
                    set = File.Exists(path)
                        ? File.ReadLines(path).Where(l => l.StartsWith('#')).Select(l => l.TrimStart('#').Trim()).ToHashSet()
                        : [];
                    headings[doc] = set;
                }
                if (!set.Any(h => h == section || h.StartsWith(section + " ("))) missing.Add($"{Path.GetRelativePath(TestData.RepositoryRoot, file)}: docs/{doc}, \"{section}\"");
            }
        Assert.True(cited > 50, $"only {cited} citations found: is the pattern right?");
        Assert.True(missing.Count == 0, "cited sections that do not exist:\n" + string.Join("\n", missing));
    }

    /// Source files, the docs, the README and the build files.
    private static IEnumerable<string> AllTexts() => SourceFiles()
        .Concat(Directory.EnumerateFiles(Path.Combine(TestData.RepositoryRoot, "docs"), "*.md"))
        .Concat(new[] { "README.md", "Directory.Build.targets", "Directory.Build.props" }.Select(f => Path.Combine(TestData.RepositoryRoot, f)));

    [Fact]
    public void NothingCitesADocumentOutsideTheRepository()
    {
        var outside = AllTexts().SelectMany(f => File.ReadLines(f).Select((l, i) => (f, i, l)))
            .Where(t => Outside.IsMatch(t.l)).Select(t => $"{Path.GetRelativePath(TestData.RepositoryRoot, t.f)}:{t.i + 1}: {t.l.Trim()}").ToList();
        Assert.True(outside.Count == 0, string.Join("\n", outside));
    }
}
