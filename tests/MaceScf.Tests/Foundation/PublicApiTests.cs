using System.Text.RegularExpressions;
using MaceScf.FixedPoint;

namespace MaceScf.Tests.Foundation;

/// The public types of the library are exactly the ones docs/library.md lists under "Public types" (design.md, "Public face").
public sealed class PublicApiTests
{
    [Fact]
    public void PublicTypesAreTheDocumentedOnes()
    {
        string text = File.ReadAllText(Path.Combine(TestData.RepositoryRoot, "docs", "library.md"));
        string section = text[text.IndexOf("## Public types", StringComparison.Ordinal)..];
        var documented = Regex.Matches(section, @"^\| `(?<ns>MaceScf[\w.]*)` \| (?<types>.*) \|$", RegexOptions.Multiline)
            .SelectMany(row => Regex.Matches(row.Groups["types"].Value, "`(\\w+)`").Select(t => $"{row.Groups["ns"].Value}.{t.Groups[1].Value}"))
            .ToHashSet();
        var exported = typeof(ModelFile).Assembly.GetExportedTypes().Select(t => t.FullName!).ToHashSet();
        Assert.NotEmpty(documented);
        Assert.True(exported.SetEquals(documented),
            $"public but not in docs/library.md: {string.Join(", ", exported.Except(documented).Order())}; "
            + $"in docs/library.md but not public: {string.Join(", ", documented.Except(exported).Order())}");
    }
}
