using System.Text.RegularExpressions;
using MaceScf.FixedPoint;
using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// docs/configuration.md and `--help` cannot drift from the option registry.
public class DocsTests
{
    static string RepositoryFile(params string[] parts)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            string candidate = Path.Combine([dir.FullName, .. parts]);
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException(string.Join('/', parts));
    }

    static readonly string Docs = File.ReadAllText(RepositoryFile("docs", "configuration.md")).Replace("\r\n", "\n");

    [Fact]
    public void Generated_option_tables_in_the_docs_match_the_registry()
    {
        int begin = Docs.IndexOf(OptionDocs.BeginMarker, StringComparison.Ordinal);
        int end = Docs.IndexOf(OptionDocs.EndMarker, StringComparison.Ordinal);
        Assert.True(begin >= 0 && end > begin, "docs/configuration.md lacks the generated-options markers");
        Assert.Equal(OptionDocs.Markdown(), Docs[begin..(end + OptionDocs.EndMarker.Length + 1)]);
    }

    [Fact]
    public void Every_option_is_documented_and_in_the_help()
    {
        string help = OptionDocs.HelpText();
        Assert.All(TrainingOptions.All, o =>
        {
            Assert.Contains($"| `{o.Name}` |", Docs);
            Assert.Contains($"--{o.Name} <", help);
        });
        Assert.Equal(TrainingOptions.All.Count, TrainingOptions.All.Select(o => o.Name).Distinct().Count());
    }

    [Fact]
    public void Every_loss_name_and_mode_is_documented()
    {
        Assert.All(LossTerm.KnownNames, n => Assert.Contains($"`{n}`", Docs));
        Assert.All(Enum.GetValues<TrainingMode>(), m => Assert.Contains($"`{SnakeCase.Of(m)}`", Docs));
    }

    [Fact]
    public void Every_scf_starting_point_is_documented()
    {
        string prose = Regex.Replace(Docs, @"\s+", " ");
        Assert.Contains("`initial_density` " + string.Join(" | ", Enum.GetValues<InitialDensity>().Select(v => $"`{SnakeCase.Of(v)}`")), prose);
        Assert.Contains("`initial_fermi_level` " + string.Join(" | ", Enum.GetValues<InitialFermiLevel>().Select(v => $"`{SnakeCase.Of(v)}`")), prose);
    }
}
