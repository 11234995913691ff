using MaceScf.Cli;

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
