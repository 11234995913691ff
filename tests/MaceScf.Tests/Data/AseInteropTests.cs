using MaceScf.Data;

namespace MaceScf.Tests.Data;

/// extxyz written by ASE reads as ASE reads it, and ASE reads our files as we wrote them (`macescf eval` output:
/// EvalCommandTests).
public sealed class AseInteropTests : IDisposable
{
    private readonly string _folder = Directory.CreateTempSubdirectory("ase-interop-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void FilesWrittenByAseReadAsAseReadsThem()
    {
        string xyz = Path.Combine(_folder, "ase.xyz"), json = Path.Combine(_folder, "ase.json");
        AsePython.Run("write", xyz);
        AsePython.Run("read", xyz, json);

        AseComparison.AssertSameFrames(json, ExtXyzReader.ReadAll(xyz));
    }

    [Fact]
    public void AseReadsOurFilesAsWeWroteThem()
    {
        var frames = new[] { Slab(), Molecule() };
        string xyz = Path.Combine(_folder, "ours.xyz");
        ExtXyzWriter.Write(xyz, frames);

        AseComparison.AssertAseReads(xyz, frames, _folder);
    }

    [Fact]
    public void AseReadsTheBundledFixturesAsWeDo()
    {
        foreach (var name in new[] { "test_configs.xyz", "bulk_test_configs.xyz", "slab_test_configs.xyz", "mixed_test_configs.xyz" })
            AseComparison.AssertAseReads(TestData.Fixture(name), ExtXyzReader.ReadAll(TestData.Fixture(name)), _folder);
    }

    [Fact]
    public void AseReadsAStressMatrixAsNineNumbers()
    {
        // ASE refuses `stress` or `virial` in any form but 9 plain numbers (a _JSON value stops its reader).
        var frame = Slab();
        var stress = new double[,] { { -0.0329, 0.0030, -0.0071 }, { 0.0030, -0.0066, 0.0009 }, { -0.0071, 0.0009, -0.0233 } };
        frame.Info["stress"] = stress;
        frame.Info["virial"] = stress;
        string xyz = Path.Combine(_folder, "stress.xyz"), json = Path.Combine(_folder, "stress.json");
        ExtXyzWriter.Write(xyz, [frame]);

        AsePython.Run("read", xyz, json);
        var info = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!.AsArray()[0]!["info"]!;
        foreach (var key in new[] { "stress", "virial" })
            Assert.Null(TaggedValue.FromJson(info[key]!).Difference(TaggedValue.FromOurs(stress)));
        var back = ExtXyzReader.ReadAll(xyz)[0].Info;
        Assert.Equal(stress.Cast<double>(), Assert.IsType<double[]>(back["stress"]));
    }

    [Fact]
    public void AseReadsSynthOutput()
    {
        string xyz = Path.Combine(_folder, "synth.xyz"), json = Path.Combine(_folder, "synth.json");
        var (code, text) = MaceScf.Tests.Cli.CliRunner.Run("synth", "--system", "water_box", "--count", "1", "-o", xyz);
        Assert.True(code == 0, text);

        AsePython.Run("read", xyz, json);
        var info = System.Text.Json.Nodes.JsonNode.Parse(File.ReadAllText(json))!.AsArray()[0]!["info"]!;
        Assert.Equal([3L, 3L], TaggedValue.FromJson(info["stress"]!).Shape);
    }

    /// A periodic slab with info values and per-atom columns of every type our writer produces.
    private static Configuration Slab()
    {
        var random = new Random(20261127);
        var frame = new Configuration([11, 17, 11, 17], Random(random, 4, 3, 5.0),
            new double[,] { { 5.64, 0, 0 }, { 0.3, 5.64, 0 }, { 0, 0, 12.000000000000002 } }, [true, true, false]);
        frame.Info["energy"] = -11.250000000000004;
        frame.Info["stress"] = Enumerable.Range(0, 9).Select(_ => random.NextDouble() - 0.5).ToArray();
        frame.Info["total_charge"] = 0L;
        frame.Info["fermi_level"] = -4.25;
        frame.Info["external_field"] = new[] { 0.0, 0.0, 0.05 };
        frame.Info["steps"] = new[] { 3L, 4L, 5L };
        frame.Info["converged"] = true;
        frame.Info["config_type"] = "slab with spaces";
        frame.Info["tiny"] = 5e-324;
        frame.Info["huge"] = -1.7976931348623157e308;
        frame.Info["third"] = 1.0 / 3;
        frame.Info["whole"] = 20.0;
        frame.Arrays["forces"] = Random(random, 4, 3, 1.0);
        frame.Arrays["atomic_multipoles"] = Random(random, 4, 4, 1.0);
        frame.Arrays["charges"] = new[] { 0.9, -0.9, 0.8999999999999999, -0.9000000000000001 };
        frame.Arrays["tags"] = new long[] { 0, 1, 0, -1 };
        frame.Arrays["fixed"] = new[] { true, false, true, false };
        frame.Arrays["label"] = new[] { "a", "b-2", "c_3", "d" };
        return frame;
    }

    /// A molecule without a cell, with the strings our writer has to quote or write as _JSON to keep their type.
    private static Configuration Molecule()
    {
        var frame = new Configuration([8, 1, 1], new double[,] { { 0, 0, 0.119262 }, { 0, 0.763239, -0.477047 }, { 0, -0.763239, -0.477047 } },
            null, [false, false, false]);
        frame.Info["name"] = "carved_H5O3-";
        frame.Info["spaced"] = "two words  and more";
        frame.Info["numeric_text"] = "42";
        frame.Info["bool_text"] = "T";
        frame.Info["vector_text"] = "1 2 3";
        frame.Info["single"] = new[] { 2.5 };
        frame.Info["single_long"] = new[] { 3L };
        frame.Info["bools"] = new[] { true, false, false };
        frame.Info["matrix"] = new[,] { { 1.5, 2.5 }, { 3.5, 4.5 } };
        return frame;
    }

    private static double[,] Random(Random random, int rows, int columns, double scale)
    {
        var values = new double[rows, columns];
        for (int i = 0; i < rows; i++)
            for (int j = 0; j < columns; j++) values[i, j] = scale * (random.NextDouble() - 0.5);
        return values;
    }
}
