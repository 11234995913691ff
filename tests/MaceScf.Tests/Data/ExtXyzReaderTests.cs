using System.Text.Json.Nodes;
using MaceScf.Data;

namespace MaceScf.Tests.Data;

public class ExtXyzReaderTests
{
    [Fact]
    public void ReadsTheWaterClusterFixture()
    {
        var frames = ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz"));

        Assert.Equal([8, 8, 8, 5, 5, 19, 22], frames.Select(f => f.AtomCount));
        var first = frames[0];
        Assert.Equal([8, 8, 8, 1, 1, 1, 1, 1], first.AtomicNumbers);
        Assert.Equal(4.85641700, first.Positions[0, 0]);
        Assert.Equal(4.00000000, first.Positions[0, 1]);
        Assert.Equal(5.79032500, first.Positions[0, 2]);
        Assert.NotNull(first.Cell);
        Assert.Equal(13.835732, first.Cell[0, 0]);
        Assert.Equal(11.245954000000001, first.Cell[1, 1]);
        Assert.Equal(0.0, first.Cell[1, 0]);
        Assert.Equal([false, false, false], first.Pbc);
        Assert.Equal([true, true, true], frames[4].Pbc);

        Assert.Equal(-6231.12859190025, Assert.IsType<double>(first.Info["AIMS_energy"]));
        Assert.Equal([-6.01450775967376, -6.87493708342238, -6.46842606194558], Assert.IsType<double[]>(first.Info["AIMS_dipole"]));
        Assert.Equal("carved_H5O3-", first.Info["config_type"]);
        Assert.Equal(-1.0, Assert.IsType<double>(first.Info["total_charge"]));
        Assert.Equal([0.0, 0.05, 0.0], Assert.IsType<double[]>(first.Info["an_applied_field"]));
        Assert.Equal(-5.0, first.Info["the_VBM"]);
        Assert.False(frames[3].Info.ContainsKey("the_VBM"));
        Assert.False(first.Info.ContainsKey("Lattice"));
        Assert.False(first.Info.ContainsKey("pbc"));

        var json = Assert.IsType<double[,]>(first.Info["DMA_coefficients"]);
        Assert.Equal(8, json.GetLength(0));
        Assert.Equal(9, json.GetLength(1));
        Assert.Equal(-0.3129304, json[0, 0]);
        Assert.Equal(-0.00761561, json[7, 8]);

        var forces = Assert.IsType<double[,]>(first.Arrays["AIMS_forces"]);
        Assert.Equal(-2.28267506, forces[0, 0]);
        Assert.Equal(0.11578955, forces[0, 2]);
        var dma = Assert.IsType<double[,]>(first.Arrays["DMA_coeficients"]);
        Assert.Equal(9, dma.GetLength(1));
        Assert.Equal(-0.31293040, dma[0, 0]);
        Assert.Equal(0.11480835, dma[0, 8]);
        Assert.Equal(-0.12142388, dma[7, 0]);
        Assert.Equal(-2.0, Assert.IsType<double[]>(first.Arrays["formal_oxidation_states"])[0]);
        Assert.Equal(["AIMS_forces", "DMA_coeficients", "modifed_DMA_coeficients", "formal_oxidation_states"], first.Arrays.Keys);
    }

    [Fact]
    public void ReadsTheSlabFixture()
    {
        var frames = ExtXyzReader.ReadAll(TestData.Fixture("slab_test_configs.xyz"));

        Assert.Equal([6, 3], frames.Select(f => f.AtomCount));
        Assert.All(frames, f => Assert.Equal([true, true, false], f.Pbc));
        Assert.Equal(0L, Assert.IsType<long>(frames[0].Info["total_charge"]));
        Assert.Equal([0.0, 0.0, 0.05], Assert.IsType<double[]>(frames[1].Info["an_applied_field"]));
        Assert.Equal(16.517641333333337, frames[0].Cell![2, 2]);
        var multipoles = Assert.IsType<double[,]>(frames[0].Arrays["some_multipoles"]);
        Assert.Equal(-0.01487795, multipoles[0, 8]);
        Assert.Equal(8.07405034, frames[1].Positions[0, 0]);
    }

    [Fact]
    public void ReadsTheBulkFixture()
    {
        var frames = ExtXyzReader.ReadAll(TestData.Fixture("bulk_test_configs.xyz"));

        Assert.Equal([5, 19], frames.Select(f => f.AtomCount));
        Assert.All(frames, f => Assert.Equal([true, true, true], f.Pbc));
        Assert.Equal([-1.0, 1.0], frames.Select(f => (double)f.Info["total_charge"]));
        Assert.Equal(17.84346933333333, frames[1].Cell![2, 2]);
        Assert.Equal(-0.35823117, ((double[,])frames[0].Arrays["some_multipoles"])[0, 0]);
    }

    [Fact]
    public void ReadsTheMixedFixture()
    {
        var frames = ExtXyzReader.ReadAll(TestData.Fixture("mixed_test_configs.xyz"));

        Assert.Equal([8, 5, 5, 19, 6, 3], frames.Select(f => f.AtomCount));
        Assert.Equal(["FFF", "FFF", "TTT", "TTT", "TTF", "TTF"],
            frames.Select(f => string.Concat(f.Pbc.Select(p => p ? 'T' : 'F'))));
        Assert.Equal("mixed_test_configs.xyz", Path.GetFileName(frames[5].SourceName));
        Assert.Equal(5, frames[5].FrameIndex);
        Assert.Equal(54, frames[5].SourceLine);
    }

    [Fact]
    public void StreamsFramesLazily()
    {
        using var enumerator = ExtXyzReader.Read(TestData.Fixture("test_configs.xyz")).GetEnumerator();
        Assert.True(enumerator.MoveNext());
        Assert.Equal(0, enumerator.Current.FrameIndex);
        Assert.True(enumerator.MoveNext());
        Assert.Equal(1, enumerator.Current.FrameIndex);
    }

    [Fact]
    public void ParsesInfoValueTypesLikeAse()
    {
        var frame = ReadOne(
            """
            1
            flag energy=-1.5 n=3 big=1e300 on=T off=False yes=true vec="1 2 3" fvec="1.5 -2 3e-5" bools="T F T" braces={4 5} commas=1,2 name=water spaced="two words" esc="say \"hi\"" a = 7 eq=x=y
            H 0 0 0
            """);

        Assert.Equal(true, frame.Info["flag"]);
        Assert.Equal(-1.5, frame.Info["energy"]);
        Assert.Equal(3L, frame.Info["n"]);
        Assert.Equal(1e300, frame.Info["big"]);
        Assert.Equal(true, frame.Info["on"]);
        Assert.Equal(false, frame.Info["off"]);
        Assert.Equal(true, frame.Info["yes"]);
        Assert.Equal(new long[] { 1, 2, 3 }, frame.Info["vec"]);
        Assert.Equal(new[] { 1.5, -2, 3e-5 }, frame.Info["fvec"]);
        Assert.Equal(new[] { true, false, true }, frame.Info["bools"]);
        Assert.Equal(new long[] { 4, 5 }, frame.Info["braces"]);
        Assert.Equal(new long[] { 1, 2 }, frame.Info["commas"]);
        Assert.Equal("water", frame.Info["name"]);
        Assert.Equal("two words", frame.Info["spaced"]);
        Assert.Equal("say \"hi\"", frame.Info["esc"]);
        Assert.Equal(7L, frame.Info["a"]);
        Assert.Equal("x=y", frame.Info["eq"]);
    }

    [Fact]
    public void ParsesJsonInfoValues()
    {
        var frame = ReadOne(
            """
            1
            m="_JSON [[1, 2], [3, 4.5]]" li="_JSON [1, 2]" ragged="_JSON [[1], [2, 3]]" obj="_JSON {\"a\": [1, \"x\"]}" s="_JSON \"42\"" one="_JSON [0.5]"
            H 0 0 0
            """);

        var matrix = Assert.IsType<double[,]>(frame.Info["m"]);
        Assert.Equal(4.5, matrix[1, 1]);
        Assert.Equal(2.0, matrix[0, 1]);
        Assert.Equal(new long[] { 1, 2 }, frame.Info["li"]);
        var ragged = Assert.IsAssignableFrom<JsonNode>(frame.Info["ragged"]);
        Assert.Equal(3, ragged[1]![1]!.GetValue<int>());
        var obj = Assert.IsAssignableFrom<JsonNode>(frame.Info["obj"]);
        Assert.Equal("x", obj["a"]![1]!.GetValue<string>());
        Assert.Equal("42", frame.Info["s"]);
        Assert.Equal(new[] { 0.5 }, frame.Info["one"]);
    }

    [Fact]
    public void UsesAseDefaultsForPropertiesAndPbc()
    {
        var frames = ExtXyzReader.ReadAllFromString(
            """
            2
            Lattice="2 0 0 0 3 0 0 0 4"
            Fe 0.5 0.25 0.125
            Og 1 1 1
            1

            H 0 0 0
            1
            Lattice="1 0 0 0 1 0 0 0 1" pbc="F T F"
            H 0 0 0
            """);

        Assert.Equal([26, 118], frames[0].AtomicNumbers);
        Assert.Equal(0.125, frames[0].Positions[0, 2]);
        Assert.Equal(3.0, frames[0].Cell![1, 1]);
        Assert.Equal([true, true, true], frames[0].Pbc);
        Assert.Null(frames[1].Cell);
        Assert.Equal([false, false, false], frames[1].Pbc);
        Assert.Empty(frames[1].Info);
        Assert.Equal([false, true, false], frames[2].Pbc);
    }

    [Fact]
    public void ReadsTypedColumnsOfAnyWidth()
    {
        var frame = ReadOne(
            """
            2
            Properties=species:S:1:pos:R:3:tag:I:1:fixed:L:3:label:S:2:q:R:1:ids:I:2
            O 0 0 0 7 T F T a b -0.5 1 2
            H 1 0 0 -3 F F T c d 0.25 3 4
            """);

        Assert.Equal(new long[] { 7, -3 }, frame.Arrays["tag"]);
        var fixedFlags = Assert.IsType<bool[,]>(frame.Arrays["fixed"]);
        Assert.True(fixedFlags[0, 0]);
        Assert.False(fixedFlags[0, 1]);
        Assert.False(fixedFlags[1, 0]);
        var labels = Assert.IsType<string[,]>(frame.Arrays["label"]);
        Assert.Equal("d", labels[1, 1]);
        Assert.Equal(new[] { -0.5, 0.25 }, frame.Arrays["q"]);
        var ids = Assert.IsType<long[,]>(frame.Arrays["ids"]);
        Assert.Equal(4, ids[1, 1]);
    }

    [Fact]
    public void AcceptsAtomicNumbersAsSpeciesAndAZColumn()
    {
        var frames = ExtXyzReader.ReadAllFromString(
            """
            2
            Properties=species:S:1:pos:R:3
            8 0 0 0
            1 0 0 1
            2
            Properties=Z:I:1:pos:R:3
            6 0 0 0
            1 0 0 1
            """);

        Assert.Equal([8, 1], frames[0].AtomicNumbers);
        Assert.Equal([6, 1], frames[1].AtomicNumbers);
        Assert.Empty(frames[1].Arrays);
    }

    [Fact]
    public void ReadsCommentOnlyFramesAndIgnoresTrailingBlankLines()
    {
        var frames = ExtXyzReader.ReadAllFromString("0\nempty_frame=T\n1\n\nHe 0 0 0\n0\n\n\n  \n\n");

        Assert.Equal([0, 1, 0], frames.Select(f => f.AtomCount));
        Assert.Equal(true, frames[0].Info["empty_frame"]);
        Assert.Equal(0, frames[0].Positions.GetLength(0));
        Assert.Equal([2], frames[1].AtomicNumbers);
    }

    [Fact]
    public void ReadsAFileWithoutFinalNewline()
    {
        var frames = ExtXyzReader.ReadAllFromString("1\n\nH 0 0 0.5");
        Assert.Equal(0.5, Assert.Single(frames).Positions[0, 2]);
    }

    [Fact]
    public void ParsesDecimalsExactlyLikeTheRuntime()
    {
        var random = new Random(1127);
        var texts = new List<string>
        {
            "0.1", "-0.0", "4.35", "1e22", "1e23", "9007199254740992", "9007199254740993", "123456789012345678",
            ".5", "5.", "+3", "1.7976931348623157e308", "4.9e-324", "2.2250738585072014E-308", "0.000000000000000000001",
        };
        for (int i = 0; i < 3000; i++)
        {
            string digits = string.Concat(Enumerable.Range(0, random.Next(1, 19)).Select(_ => (char)('0' + random.Next(10))));
            int point = random.Next(digits.Length + 1);
            string number = (random.Next(2) == 0 ? "-" : "") + digits[..point] + "." + digits[point..];
            if (random.Next(3) == 0) number += $"e{random.Next(-30, 31)}";
            texts.Add(number);
        }
        var lines = texts.Select(t => $"H {t} 0 0");
        var frame = ReadOne($"{texts.Count}\n\n{string.Join("\n", lines)}\n");

        for (int i = 0; i < texts.Count; i++)
        {
            double expected = double.Parse(texts[i], System.Globalization.CultureInfo.InvariantCulture);
            Assert.True(BitConverter.DoubleToInt64Bits(expected) == BitConverter.DoubleToInt64Bits(frame.Positions[i, 0]), texts[i]);
        }
    }

    private static Configuration ReadOne(string text) => Assert.Single(ExtXyzReader.ReadAllFromString(text));
}
