using MaceScf.Cli;
using MaceScf.Cli.Commands;
using MaceScf.Text;
using MaceScf.Training;

namespace MaceScf.Tests.Cli;

public class CommandLineTests
{
    private static readonly HashSet<string> Flags = ["json"];

    [Fact]
    public void ReadsPositionalsOptionsAndFlagsInAnySpelling()
    {
        var line = new CommandLine(["a.xyz", "--r-max", "5.5", "--json", "--kspace_cutoff_factor=1.25", "-o", "out.xyz"], Flags);
        Assert.Equal(["a.xyz"], line.Positional);
        Assert.Equal(5.5, line.Double("r_max"));
        Assert.True(line.Flag("json"));
        Assert.Equal(1.25, line.Double("kspace_cutoff_factor"));
        Assert.Equal("out.xyz", line.String("output"));
        Assert.Null(line.Double("absent"));
    }

    [Fact]
    public void RejectsUnknownOptionWithSuggestion()
    {
        var line = new CommandLine(["--r_maks", "5"], Flags);
        line.Double("r_max");
        var e = Assert.Throws<UsageException>(() => line.RejectUnknown(["r_max", "json"]));
        Assert.Contains("--r_maks", e.Message);
        Assert.Contains("did you mean --r_max", e.Message);
    }

    [Theory]
    [InlineData(new[] { "--r_max" }, "needs a value")]
    [InlineData(new[] { "--r_max", "1", "--r-max", "2" }, "given twice")]
    public void ReportsMalformedCommandLines(string[] args, string expected)
    {
        var e = Assert.Throws<UsageException>(() => new CommandLine(args, Flags));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void ReportsNonNumericValue()
    {
        var line = new CommandLine(["--r_max", "five"], Flags);
        var e = Assert.Throws<UsageException>(() => line.Double("r_max"));
        Assert.Contains("expects a number, got 'five'", e.Message);
    }
}

/// Every command line, `macescf train`'s included, is split by one function (<see cref="CommandLineWords"/>).
public class OneCommandLineSplitterTests
{
    static readonly string[] Words = ["--config", "c.yaml", "--r-max", "3", "--ema", "false", "--seed=4", "--include_field_si", "--name", "--odd"];

    [Fact]
    public void TrainAndTheOtherCommandsSplitTheSameWordsTheSameWay()
    {
        var train = TrainingCommandLine.Parse(Words);
        var line = new CommandLine(Words, TrainingCommandLine.FlagNames);
        Assert.Equal("c.yaml", train.ConfigFile);
        Assert.Equal([new("config", "c.yaml"), .. train.Values], line.Words.Values);
        Assert.Equal(
            [new("config", "c.yaml"), new("r_max", "3"), new("ema", "false"), new("seed", "4"), new("include_field_si", null), new("name", "--odd")],
            line.Words.Values);
    }

    /// A flag followed by true or false takes it as its value in every command (before the commands shared one splitter,
    /// `macescf coulomb F --include_field_si false` read "false" as a second file).
    [Fact]
    public void AFlagTakesAFollowingTrueOrFalseInEveryCommand()
    {
        var line = new CommandLine(["frames.xyz", "--include_field_si", "false", "--multipoles-key", "q"], new CoulombCommand().Flags);
        Assert.Equal(["frames.xyz"], line.Positional);
        Assert.False(line.Flag("include_field_si"));
        Assert.False(CoulombSettings.Read(line).Options.IncludeFieldSelfInteraction);
    }

    /// `macescf train` goes through the same door as the other commands: `-h`, a missing value and a repeated option are
    /// reported like theirs (usage error, exit code 2, with the pointer to --help).
    [Fact]
    public void TrainReportsCommandLineMistakesLikeEveryCommand()
    {
        var (code, help) = CliRunner.Run("train", "-h");
        Assert.Equal(0, code);
        Assert.Contains("usage: macescf train", help);
        foreach (var (args, problem) in new[] { (new[] { "train", "--seed" }, "option --seed needs a value"),
                     (new[] { "train", "--seed", "1", "--seed", "2" }, "option --seed is given twice") })
        {
            var (failed, text) = CliRunner.Run(args);
            Assert.Equal(2, failed);
            Assert.Contains(problem, text);
            Assert.Contains("Run 'macescf train --help' for usage.", text);
        }
    }
}

public class CommandLineListTests
{
    [Theory]
    [InlineData("[1.5,3.0]")]
    [InlineData("1.5,3.0")]
    [InlineData("1.5 3.0")]
    [InlineData("[1.5, 3.0]")]
    public void NumberListsAcceptBracketsCommasAndSpaces(string text)
    {
        var line = new CommandLine(["--field-feature-widths", text], new HashSet<string>());
        Assert.Equal([1.5, 3.0], line.Doubles("field_feature_widths"));
    }

    [Theory]
    [InlineData("[]")]
    [InlineData("1.5,x")]
    public void BadNumberListsAreUsageErrors(string text)
    {
        var e = Assert.Throws<UsageException>(() => CommandLine.ParseDoubles("field_feature_widths", text));
        Assert.Contains("--field_feature_widths", e.Message);
    }
}
