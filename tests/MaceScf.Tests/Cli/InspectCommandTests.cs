using System.Text.Json;

namespace MaceScf.Tests.Cli;

public class InspectCommandTests
{
    [Fact]
    public void JsonHasOneObjectPerFrameWithCountsAndNeighbours()
    {
        var (code, output) = CliRunner.Run("inspect", TestData.Fixture("test_configs.xyz"), "--r-max", "5", "--json");
        Assert.Equal(0, code);
        var frames = output.Split('\n', StringSplitOptions.RemoveEmptyEntries).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(7, frames.Count);
        var first = frames[0];
        Assert.Equal(8, first.GetProperty("atoms").GetInt32());
        Assert.Equal(5, first.GetProperty("species").GetProperty("H").GetInt32());
        Assert.Equal(3, first.GetProperty("species").GetProperty("O").GetInt32());
        Assert.Equal(-1.0, first.GetProperty("total_charge").GetDouble());
        Assert.False(first.GetProperty("pbc")[0].GetBoolean());
        Assert.Contains("AIMS_energy", first.GetProperty("info_keys").EnumerateArray().Select(k => k.GetString()));
        Assert.Contains("DMA_coeficients", first.GetProperty("array_keys").EnumerateArray().Select(k => k.GetString()));
        // Lattice 13.835732 x 11.245954 x 10.015952 (orthorhombic).
        Assert.Equal(13.835732 * 11.245954000000001 * 10.015952, first.GetProperty("volume").GetDouble(), 9);
        var n = first.GetProperty("neighbours");
        Assert.True(n.GetProperty("min").GetInt32() <= n.GetProperty("mean").GetDouble());
        Assert.True(n.GetProperty("mean").GetDouble() <= n.GetProperty("max").GetInt32());
        Assert.Equal(1.0, frames[5].GetProperty("total_charge").GetDouble());
        Assert.True(frames[5].GetProperty("pbc")[2].GetBoolean());
    }

    [Fact]
    public void TablePrintsEveryFrameAndKeyCounts()
    {
        var (code, output) = CliRunner.Run("inspect", TestData.Fixture("slab_test_configs.xyz"));
        Assert.Equal(0, code);
        Assert.Contains("2 frame(s)", output);
        Assert.Contains("T T F", output);
        Assert.Contains("some_multipoles (2)", output);
    }

    [Fact]
    public void MalformedFileFailsWithLocatedMessage()
    {
        string path = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"bad-{Guid.NewGuid():N}.xyz");
        File.WriteAllText(path, "2\nProperties=species:S:1:pos:R:3\nH 0 0 0\nH 0 0 x\n");
        try
        {
            var (code, output) = CliRunner.Run("inspect", path);
            Assert.Equal(1, code);
            Assert.Contains(path, output);
            Assert.Contains("line 4", output);
        }
        finally { File.Delete(path); }
    }

    [Theory]
    [InlineData(new[] { "inspect" }, "exactly one FILE")]
    [InlineData(new[] { "inspect", "a.xyz", "--r_mx", "3" }, "did you mean --r_max")]
    [InlineData(new[] { "inspect", "a.xyz", "--r-max", "-1" }, "must be positive")]
    [InlineData(new[] { "inspekt" }, "did you mean 'inspect'")]
    public void WrongUsageExitsWithTwo(string[] args, string expected)
    {
        var (code, output) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void HelpListsTheOptions()
    {
        var (code, output) = CliRunner.Run("inspect", "--help");
        Assert.Equal(0, code);
        Assert.Contains("--r-max", output);
        Assert.Contains("--json", output);
    }
}
