using MaceScf.Data;

namespace MaceScf.Tests.Data;

/// Every kind of bad input raises an ExtXyzFormatException naming file, frame and line.
public class ExtXyzMalformedInputTests
{
    private const string GoodFrame = "2\nLattice=\"5 0 0 0 5 0 0 0 5\"\nO 0 0 0\nH 0 0 1\n";

    [Theory]
    [InlineData("", 0, 1, "file is empty")]
    [InlineData("\n\n  \n", 0, 1, "file is empty")]
    [InlineData(GoodFrame + "3\n\nO 0 0 0\nH 0 0 1\n", 1, 8, "ends after 2 of 3 atom lines")]
    [InlineData(GoodFrame + "3", 1, 5, "ends after the atom count 3")]
    [InlineData("2000000000\nProperties=species:S:1:pos:R:3:m:R:9\nO 0 0 0 1 2 3 4 5 6 7 8 9\n", 0, 3, "ends after 1 of 2000000000 atom lines")]
    [InlineData(GoodFrame + "1\n\nO 0 0\n", 1, 7, "expected 4 columns (species:S:1 pos:R:3), found 3")]
    [InlineData(GoodFrame + "1\n\nO 0 0 0 9\n", 1, 7, "expected 4 columns (species:S:1 pos:R:3), found 5")]
    [InlineData(GoodFrame + "1\n\nO 0 zero 0\n", 1, 7, "column 3 (pos[1]) is 'zero', expected a real number")]
    [InlineData("1\nProperties=species:S:1:pos:R:3:n:I:1\nO 0 0 0 1.5\n", 0, 3, "column 5 (n) is '1.5', expected an integer")]
    [InlineData("1\nProperties=species:S:1:pos:R:3:f:L:1\nO 0 0 0 yes\n", 0, 3, "expected a logical")]
    [InlineData("1\nProperties=species:S:1:pos:R:3:q:X:1\nO 0 0 0 1\n", 0, 2, "unknown type letter 'X' (expected S, R, I or L)")]
    [InlineData("1\nProperties=species:S:1:pos:R:3:q:R\nO 0 0 0 1\n", 0, 2, "expected name:type:width triples")]
    [InlineData("1\nProperties=species:S:1:pos:R:3:q:R:0\nO 0 0 0\n", 0, 2, "width '0' (expected a positive integer)")]
    [InlineData("1\nProperties=species:S:1:position:R:3\nO 0 0 0\n", 0, 2, "no pos column")]
    [InlineData(GoodFrame + "1\nLattice=\"1 0 0 0 1 0 0 0\"\nO 0 0 0\n", 1, 6, "Lattice=\"1 0 0 0 1 0 0 0\" must hold 9 numbers (three lattice vectors), found 8 numbers")]
    [InlineData("1\nLattice=\"a b c\"\nO 0 0 0\n", 0, 2, "must hold 9 numbers")]
    [InlineData("1\npbc=\"T T\"\nO 0 0 0\n", 0, 2, "pbc=\"T T\" must be three logicals")]
    [InlineData("1\nname=\"unclosed\nO 0 0 0\n", 0, 2, "never closed")]
    [InlineData("1\nbad=\"_JSON [1, \"\nO 0 0 0\n", 0, 2, "not valid JSON")]
    [InlineData("2\nProperties=Z:I:1:pos:R:3\n1 0 0 0\n200 0 0 0\n", 0, 4, "Z is 200, expected an atomic number 0-118")]
    [InlineData("1\n\nQq 0 0 0\n", 0, 3, "column 1 (species) is 'Qq', expected an element symbol")]
    [InlineData("1\n\nO 0 0 0\nH 0 0 1\n", 1, 4, "expected the atom count (a non-negative integer) at the start of a frame, found 'H 0 0 1'; the previous frame may have more atom lines")]
    [InlineData("two\n\nO 0 0 0\n", 0, 1, "expected the atom count")]
    [InlineData("-1\n\n", 0, 1, "expected the atom count")]
    [InlineData(GoodFrame + "\n" + GoodFrame, 1, 6, "text after the blank line 5")]
    public void BadInputNamesFileFrameAndLine(string text, int frame, long line, string expected)
    {
        var error = Assert.Throws<ExtXyzFormatException>(() => ExtXyzReader.ReadAllFromString(text, "bad.xyz"));

        Assert.Equal("bad.xyz", error.FileName);
        Assert.Equal(frame, error.Frame);
        Assert.Equal(line, error.Line);
        Assert.Contains(expected, error.Problem);
        Assert.StartsWith($"bad.xyz: frame {frame}, line {line}: ", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void ErrorsFromAFileNameThePath()
    {
        string path = Path.Combine(Path.GetTempPath(), $"extxyz-bad-{Guid.NewGuid():N}.xyz");
        File.WriteAllText(path, GoodFrame + "2\n\nO 0 0 0\n");
        try
        {
            var error = Assert.Throws<ExtXyzFormatException>(() => ExtXyzReader.ReadAll(path));
            Assert.Equal(path, error.FileName);
            Assert.Contains(path, error.Message);
            Assert.Equal(1, error.Frame);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void GoodFramesBeforeAnErrorAreDeliveredWhenStreaming()
    {
        var frames = new List<Configuration>();
        var stream = ExtXyzReader.Read(new StringReader(GoodFrame + "2\n\nO 0 0 0\n"), "partial.xyz");

        Assert.Throws<ExtXyzFormatException>(() => { foreach (var f in stream) frames.Add(f); });
        Assert.Single(frames);
    }
}
