using MaceScf.Data;
using Xunit.Abstractions;

namespace MaceScf.Tests.Cli;

/// Inputs no command may compute on (frames without atoms, non-finite numbers, unknown elements, periodic frames
/// without a cell, unwritable outputs, mapped keys that no frame has) are refused up front, naming the file, frame,
/// key or atom and saying what to do; nothing is written and the exit code is 1.
public sealed class InputRefusalTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-refusal-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private const string Water = "O 0 0 0.119262 -0.8\nH 0 0.763239 -0.477047 0.4\nH 0 -0.763239 -0.477047 0.4\n";
    private const string Header = "Lattice=\"30 0 0 0 30 0 0 0 30\" Properties=species:S:1:pos:R:3:q:R:1 total_charge=0.0 pbc=\"F F F\"";

    private string File(string name, string text)
    {
        var path = Path.Combine(_dir, name);
        System.IO.File.WriteAllText(path, text);
        return path;
    }

    private (int Code, string Text) Run(params string[] args)
    {
        var (code, text) = CliRunner.Run(args);
        output.WriteLine(text);
        return (code, string.Join(' ', text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries)));
    }

    [Fact]
    public void FramesWithoutAtomsAreRefusedByEveryCommandThatComputes()
    {
        var data = File("empty.xyz", $"3\n{Header}\n{Water}0\n{Header}\n");
        var written = Path.Combine(_dir, "out.xyz");
        var (code, text) = Run("eval", SmallModel.Save(_dir), data, "-o", written, "--num_scf_steps", "3");
        Assert.Equal(1, code);
        Assert.Contains("empty.xyz, frame 1: the frame has no atoms", text);
        Assert.False(System.IO.File.Exists(written));
        (code, text) = Run("coulomb", data, "--multipoles-key", "q", "--atomic_multipoles_max_l", "0");
        Assert.Equal(1, code);
        Assert.Contains("empty.xyz, frame 1: the frame has no atoms", text);
        // Training reads its files through the same extractor.
        var error = Assert.Throws<InvalidDataException>(() => new LabelExtractor(KeyMapping.Default).ExtractAll(ExtXyzReader.Read(data)).ToList());
        Assert.Contains("frame 1: the frame has no atoms", error.Message);
        // inspect reports them (that is its job) and says what the others do.
        (code, text) = Run("inspect", data, "--r-max", "3");
        Assert.Equal(0, code);
        Assert.Contains("warning: 1 frame(s) without atoms (1); eval, coulomb, train and ipi refuse such frames", text);
        // Alone in a file (the issue's "Parameter 'startingIndex'").
        (code, text) = Run("eval", SmallModel.Save(_dir), File("only-empty.xyz", $"0\n{Header}\n"), "-o", written);
        Assert.Equal(1, code);
        Assert.Contains("only-empty.xyz, frame 0: the frame has no atoms", text);
    }

    [Theory]
    [InlineData("O 1e300 0 0.119262 -0.8", "the position of atom 0 (1E+300 Å) is beyond ±1E+08 Å")]
    [InlineData("O nan 0 0.119262 -0.8", "the position of atom 0 (x = NaN) is not finite")]
    [InlineData("O 0 0 0.119262 inf", "array 'q' of atom 0 (Infinity) is not finite")]
    public void NonFiniteOrOverflowingInputsAreRefusedNamingTheAtom(string firstAtom, string expected)
    {
        var data = File("bad.xyz", $"3\n{Header}\n{firstAtom}\n{Water[(Water.IndexOf('\n') + 1)..]}");
        var written = Path.Combine(_dir, "out.xyz");
        var (code, text) = Run("coulomb", data, "--multipoles-key", "q", "--atomic_multipoles_max_l", "0", "-o", written);
        Assert.Equal(1, code);
        Assert.Contains($"bad.xyz, frame 0: {expected}", text);
        Assert.False(System.IO.File.Exists(written));
        (code, text) = Run("eval", SmallModel.Save(_dir), data, "-o", written);
        Assert.Equal(1, code);
        Assert.Contains($"bad.xyz, frame 0: {expected}", text);
    }

    [Fact]
    public void NonFiniteCellsAndInfoValuesAreRefused()
    {
        var cell = File("cell.xyz", $"3\n{Header.Replace("0 0 0 30\"", "0 0 0 inf\"")}\n{Water}");
        var (code, text) = Run("coulomb", cell, "--multipoles-key", "q", "--atomic_multipoles_max_l", "0");
        Assert.Equal(1, code);
        Assert.Contains("cell.xyz, frame 0: the Lattice (vector 3, z = ∞) is not finite", text.Replace("Infinity", "∞"));
        var field = File("field.xyz", $"3\n{Header} an_applied_field=\"0 nan 0\"\n{Water}");
        (code, text) = Run("coulomb", field, "--multipoles-key", "q", "--atomic_multipoles_max_l", "0", "--external-field-key", "an_applied_field");
        Assert.Equal(1, code);
        Assert.Contains("field.xyz, frame 0: info 'an_applied_field' (component 1 = NaN) is not finite", text);
    }

    [Fact]
    public void EvalNamesAnUnseenElementAPeriodicFrameWithoutCellAndWhatToDo()
    {
        var model = SmallModel.Save(_dir);
        var carbon = File("carbon.xyz", $"3\n{Header}\n{Water}4\n{Header}\n{Water}C 2 2 2 0.0\n");
        var (code, text) = Run("eval", model, carbon, "-o", Path.Combine(_dir, "o.xyz"));
        Assert.Equal(1, code);
        Assert.Contains("carbon.xyz, frame 1: element(s) C not in the model's species (H, O), atom(s) 3; remove the frame", text);
        Assert.DoesNotContain("Parameter", text);
        var periodic = File("periodic.xyz", $"3\nProperties=species:S:1:pos:R:3:q:R:1 pbc=\"T T T\"\n{Water}");
        (code, text) = Run("eval", model, periodic, "-o", Path.Combine(_dir, "o.xyz"));
        Assert.Equal(1, code);
        Assert.Contains("periodic.xyz, frame 0: pbc=\"T T T\" says the frame is periodic, but it has no Lattice; add the Lattice", text);
    }

    [Fact]
    public void EvalChecksTheOutputLocationBeforeLoadingOrComputingAnything()
    {
        var broken = File("broken.macescf", "not a model");
        var data = TestData.Fixture("test_configs.xyz");
        var (code, text) = Run("eval", broken, data, "-o", Path.Combine(_dir, "no-such-folder", "out.xyz"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", text);
        Assert.DoesNotContain("not a macescf model", text);
        (code, text) = Run("eval", broken, data, "-o", _dir);
        Assert.Equal(1, code);
        Assert.Contains("is a folder", text);
        (code, text) = Run("coulomb", data, "--multipoles-key", "DMA_coeficients", "-o", Path.Combine(_dir, "missing", "c.xyz"));
        Assert.Equal(1, code);
        Assert.Contains("does not exist", text);
    }

    [Fact]
    public void AMappedKeyThatNoFrameHasIsAnErrorNotADroppedRow()
    {
        var data = TestData.Fixture("test_configs.xyz");
        var written = Path.Combine(_dir, "out.xyz");
        var (code, text) = Run("eval", SmallModel.Save(_dir), data, "-o", written, "--keys", "energy=nothere");
        Assert.Equal(1, code);
        Assert.Contains("--keys energy=nothere: no frame of", text);
        Assert.Contains("AIMS_energy", text);
        Assert.False(System.IO.File.Exists(written));
    }

    [Fact]
    public void WritersNeverWriteNonFiniteNumbersAndKeepTheOldFile()
    {
        var path = Path.Combine(_dir, "kept.xyz");
        System.IO.File.WriteAllText(path, "old");
        var frame = new Configuration([8], new double[,] { { 0, 0, 0 } }, null, [false, false, false]);
        frame.Info["energy"] = double.NaN;
        var error = Assert.Throws<InvalidDataException>(() => ExtXyzWriter.Write(path, [frame]));
        Assert.Contains("info 'energy' (NaN)", error.Message);
        Assert.Contains(path, error.Message);
        Assert.Equal("old", System.IO.File.ReadAllText(path));
        Assert.Single(Directory.GetFiles(_dir));
    }

    [Fact]
    public void ATinyPeriodicCellIsRefusedByTheNeighbourCountGuard()
    {
        var data = File("tiny.xyz", "2\nLattice=\"0.001 0 0 0 0.001 0 0 0 0.001\" Properties=species:S:1:pos:R:3 pbc=\"T T T\"\nO 0 0 0\nH 0.0005 0.0005 0.0005\n");
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var (code, text) = Run("inspect", data, "--r-max", "4");
        Assert.Equal(1, code);
        Assert.Contains("tiny.xyz, frame 0: the neighbour list within 4 Å would hold about", text);
        Assert.Contains("check the Lattice", text);
        Assert.True(clock.Elapsed.TotalSeconds < 10, $"{clock.Elapsed}");
    }

    [Fact]
    public void NativeAllocationFailuresBecomeErrorsNamingTheFrames()
    {
        var failure = Assert.ThrowsAny<Exception>(() => TorchSharp.torch.empty(1L << 50, dtype: TorchSharp.torch.float64));
        Assert.True(NativeFailure.Is(failure), failure.GetType().FullName);
        var error = NativeFailure.InFrames(failure, "x.xyz, frame 3", "use a smaller system");
        Assert.StartsWith("x.xyz, frame 3: out of memory (", error.Message);
        Assert.EndsWith("use a smaller system", error.Message);
    }
}
