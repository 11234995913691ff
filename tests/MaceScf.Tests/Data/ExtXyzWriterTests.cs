using System.Text.Json.Nodes;
using MaceScf.Data;

namespace MaceScf.Tests.Data;

public sealed class ExtXyzWriterTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("extxyz-writer-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void RandomDoublesRoundTripToTheBit()
    {
        var random = new Random(20261127);
        var frame = new Configuration(
            [1, 8, 26, 118],
            RandomMatrix(random, 4, 3),
            RandomMatrix(random, 3, 3),
            [true, false, true]);
        frame.Arrays["forces"] = RandomMatrix(random, 4, 3);
        frame.Arrays["q"] = Enumerable.Range(0, 4).Select(_ => RandomDouble(random)).ToArray();
        frame.Info["energy"] = RandomDouble(random);
        frame.Info["vector"] = Enumerable.Range(0, 7).Select(_ => RandomDouble(random)).ToArray();
        frame.Info["edges"] = new[] { double.Epsilon, -double.Epsilon, double.MaxValue, double.MinValue, 1e-300, 5e-324, 20.0, -0.0, 1.0 / 3 };
        frame.Info["matrix"] = RandomMatrix(random, 2, 5);

        var back = RoundTrip(frame);

        AssertSameBits(frame.Positions, back.Positions);
        AssertSameBits(frame.Cell!, back.Cell!);
        AssertSameBits((double[,])frame.Arrays["forces"], (double[,])back.Arrays["forces"]);
        AssertSameBits((double[])frame.Arrays["q"], Assert.IsType<double[]>(back.Arrays["q"]));
        Assert.Equal(BitConverter.DoubleToInt64Bits((double)frame.Info["energy"]), BitConverter.DoubleToInt64Bits(Assert.IsType<double>(back.Info["energy"])));
        AssertSameBits((double[])frame.Info["vector"], Assert.IsType<double[]>(back.Info["vector"]));
        AssertSameBits((double[])frame.Info["edges"], Assert.IsType<double[]>(back.Info["edges"]));
        AssertSameBits((double[,])frame.Info["matrix"], Assert.IsType<double[,]>(back.Info["matrix"]));
        Assert.Equal([true, false, true], back.Pbc);
    }

    [Fact]
    public void InfoValuesKeepTheirTypes()
    {
        var frame = Water();
        frame.Info["whole_double"] = 20.0;
        frame.Info["long"] = long.MinValue;
        frame.Info["int"] = 12;
        frame.Info["flag"] = false;
        frame.Info["name"] = "carved_H5O3-";
        frame.Info["spaced"] = "two words  and more";
        frame.Info["numeric_text"] = "42";
        frame.Info["bool_text"] = "T";
        frame.Info["vector_text"] = "1 2 3";
        frame.Info["empty"] = "";
        frame.Info["tricky"] = "quote \" backslash \\ brace { = sign";
        frame.Info["json_lookalike"] = "_JSON [1]";
        frame.Info["broken_json_lookalike"] = "_JSON [1";
        frame.Info["multiline"] = "line one\nline two\ttab";
        frame.Info["longs"] = new[] { 1L, -2L, long.MaxValue };
        frame.Info["bools"] = new[] { true, false, false };
        frame.Info["single"] = new[] { 2.5 };
        frame.Info["single_long"] = new[] { 3L };
        frame.Info["no_values"] = Array.Empty<double>();
        frame.Info["long_matrix"] = new long[,] { { 1, 2 }, { 3, 4 } };
        frame.Info["node"] = JsonNode.Parse("""{"a": [1, "x", null], "b": {"c": true}}""")!;

        var back = RoundTrip(frame);

        Assert.Equal(frame.Info.Keys, back.Info.Keys);
        Assert.Equal(20.0, Assert.IsType<double>(back.Info["whole_double"]));
        Assert.Equal(long.MinValue, back.Info["long"]);
        Assert.Equal(12L, back.Info["int"]);
        Assert.Equal(false, back.Info["flag"]);
        foreach (var key in new[] { "name", "spaced", "numeric_text", "bool_text", "vector_text", "empty", "tricky", "json_lookalike", "broken_json_lookalike", "multiline" })
            Assert.Equal(frame.Info[key], Assert.IsType<string>(back.Info[key]));
        Assert.Equal(new[] { 1L, -2L, long.MaxValue }, back.Info["longs"]);
        Assert.Equal(new[] { true, false, false }, back.Info["bools"]);
        Assert.Equal(new[] { 2.5 }, back.Info["single"]);
        Assert.Equal(new[] { 3L }, back.Info["single_long"]);
        Assert.Empty(Assert.IsType<double[]>(back.Info["no_values"]));
        Assert.Equal(new long[,] { { 1, 2 }, { 3, 4 } }, back.Info["long_matrix"]);
        Assert.True(JsonNode.DeepEquals((JsonNode)frame.Info["node"], Assert.IsAssignableFrom<JsonNode>(back.Info["node"])));
    }

    [Fact]
    public void ArraysOfEveryTypeRoundTrip()
    {
        var frame = Water();
        frame.Arrays["tag"] = new long[] { 1, -2, 3 };
        frame.Arrays["small"] = new[] { 4, 5, 6 };
        frame.Arrays["fixed"] = new[,] { { true, false, true }, { false, false, false }, { true, true, true } };
        frame.Arrays["label"] = new[] { "a", "b-2", "c_3" };
        frame.Arrays["pair"] = new[,] { { "x", "y" }, { "z", "w" }, { "u", "v" } };

        var back = RoundTrip(frame);

        Assert.Equal(new long[] { 1, -2, 3 }, back.Arrays["tag"]);
        Assert.Equal(new long[] { 4, 5, 6 }, back.Arrays["small"]);
        Assert.Equal(frame.Arrays["fixed"], back.Arrays["fixed"]);
        Assert.Equal(frame.Arrays["label"], back.Arrays["label"]);
        Assert.Equal(frame.Arrays["pair"], back.Arrays["pair"]);
        Assert.Equal(frame.AtomicNumbers, back.AtomicNumbers);
        Assert.Null(back.Cell);
        Assert.Equal([false, false, false], back.Pbc);
    }

    [Fact]
    public void EveryFixtureRoundTrips()
    {
        foreach (var name in new[] { "test_configs.xyz", "bulk_test_configs.xyz", "slab_test_configs.xyz", "mixed_test_configs.xyz" })
        {
            var original = ExtXyzReader.ReadAll(TestData.Fixture(name));
            string path = Path.Combine(_folder, name);
            ExtXyzWriter.Write(path, original);
            var back = ExtXyzReader.ReadAll(path);

            Assert.Equal(original.Count, back.Count);
            for (int i = 0; i < original.Count; i++)
            {
                Assert.Equal(original[i].AtomicNumbers, back[i].AtomicNumbers);
                Assert.Equal(original[i].Positions, back[i].Positions);
                Assert.Equal(original[i].Cell, back[i].Cell);
                Assert.Equal(original[i].Pbc, back[i].Pbc);
                Assert.Equal(original[i].Info.Keys, back[i].Info.Keys);
                foreach (var (key, value) in original[i].Info)
                {
                    Assert.Equal(value.GetType(), back[i].Info[key].GetType());
                    Assert.Equal(value, back[i].Info[key]);
                }
                Assert.Equal(original[i].Arrays.Keys, back[i].Arrays.Keys);
                foreach (var (key, value) in original[i].Arrays) Assert.Equal(value, back[i].Arrays[key]);
            }
        }
    }

    [Fact]
    public void WritesAHeaderAseUnderstands()
    {
        var frame = new Configuration([8], new double[,] { { 0, 0.5, 1 } }, new double[,] { { 10, 0, 0 }, { 0, 10, 0 }, { 0, 0, 12.5 } }, [true, true, false]);
        frame.Arrays["forces"] = new double[,] { { 0.1, 0.2, 0.3 } };
        frame.Info["energy"] = -3.0;
        frame.Info["name"] = "two words";

        string text = ExtXyzWriter.WriteToString([frame]);

        Assert.Equal(
            "1\nLattice=\"10.0 0.0 0.0 0.0 10.0 0.0 0.0 0.0 12.5\" Properties=species:S:1:pos:R:3:forces:R:3 energy=-3.0 name=\"two words\" pbc=\"T T F\"\nO 0 0.5 1 0.1 0.2 0.3\n",
            text);
    }

    [Fact]
    public void FileWriteReplacesTheTargetAndLeavesNoTemporaryFile()
    {
        string path = Path.Combine(_folder, "out.xyz");
        File.WriteAllText(path, "old content");

        ExtXyzWriter.Write(path, [Water(), Water()]);

        Assert.Equal(2, ExtXyzReader.ReadAll(path).Count);
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void AFailedWriteKeepsTheOldFile()
    {
        string path = Path.Combine(_folder, "keep.xyz");
        File.WriteAllText(path, "old content");

        Assert.Throws<InvalidOperationException>(() => ExtXyzWriter.Write(path, FramesThatFail()));

        Assert.Equal("old content", File.ReadAllText(path));
        Assert.Equal([path], Directory.GetFiles(_folder));
    }

    [Fact]
    public void WritingIntoAMissingFolderThrowsDirectoryNotFound()
    {
        string path = Path.Combine(_folder, "missing", "out.xyz");

        Assert.Throws<DirectoryNotFoundException>(() => ExtXyzWriter.Write(path, [Water()]));
    }

    [Fact]
    public void RejectsWhatCannotBeWritten()
    {
        var reserved = Water();
        reserved.Info["pbc"] = "T T T";
        Assert.Contains("reserved", Assert.Throws<ArgumentException>(() => ExtXyzWriter.WriteToString([reserved])).Message);

        var wrongLength = Water();
        wrongLength.Arrays["forces"] = new double[2, 3];
        Assert.Contains("must be [3] or [3, k]", Assert.Throws<ArgumentException>(() => ExtXyzWriter.WriteToString([wrongLength])).Message);

        var spacedString = Water();
        spacedString.Arrays["label"] = new[] { "a", "b c", "d" };
        Assert.Contains("whitespace", Assert.Throws<ArgumentException>(() => ExtXyzWriter.WriteToString([spacedString])).Message);

        var unknownType = Water();
        unknownType.Info["when"] = DateTime.UnixEpoch;
        Assert.Contains("when", Assert.Throws<ArgumentException>(() => ExtXyzWriter.WriteToString([unknownType])).Message);
    }

    private IEnumerable<Configuration> FramesThatFail()
    {
        yield return Water();
        throw new InvalidOperationException("simulated crash while producing frames");
    }

    private static Configuration Water() =>
        new([8, 1, 1], new double[,] { { 0, 0, 0 }, { 0.96, 0, 0 }, { -0.24, 0.93, 0 } }, null, [false, false, false]);

    private static Configuration RoundTrip(Configuration frame) =>
        Assert.Single(ExtXyzReader.ReadAllFromString(ExtXyzWriter.WriteToString([frame])));

    /// Doubles from random bit patterns (any exponent), finite only.
    private static double RandomDouble(Random random)
    {
        while (true)
        {
            double value = BitConverter.Int64BitsToDouble(random.NextInt64(long.MinValue, long.MaxValue));
            if (double.IsFinite(value)) return value;
        }
    }

    private static double[,] RandomMatrix(Random random, int rows, int columns)
    {
        var matrix = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) matrix[i, j] = RandomDouble(random);
        return matrix;
    }

    private static void AssertSameBits(double[] expected, double[] actual) =>
        Assert.Equal(expected.Select(BitConverter.DoubleToInt64Bits), actual.Select(BitConverter.DoubleToInt64Bits));

    private static void AssertSameBits(double[,] expected, double[,] actual)
    {
        Assert.Equal(expected.GetLength(0), actual.GetLength(0));
        Assert.Equal(expected.GetLength(1), actual.GetLength(1));
        AssertSameBits(expected.Cast<double>().ToArray(), actual.Cast<double>().ToArray());
    }
}
