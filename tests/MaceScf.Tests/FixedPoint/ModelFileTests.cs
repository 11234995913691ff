using System.Text;
using MaceScf.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Model files: save → load gives identical predictions; broken files give clear errors.
public sealed class ModelFileTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-model-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void SaveLoadGivesIdenticalPredictions()
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters(BlockNames.ManyBodyUpdate, null, BlockNames.MLPNonLinearity,
            BlockNames.OneBodyMLPFieldReadout, linearLocal: true);
        var model = FixedPointTestSystems.Model(hp, 31);
        var path = Path.Combine(_dir, "model.macescf");
        ModelFile.Save(model, path);
        var loaded = ModelFile.Load(path);
        var inputs = FixedPointTestSystems.Molecule();
        var options = new ScfOptions { NumScfSteps = 8, MixingParameter = 0.4 };
        var a = model.Evaluate(inputs, options);
        var b = loaded.Evaluate(inputs, options);
        output.WriteLine($"{new FileInfo(path).Length} bytes, {model.ParameterCount} parameters; E = {a.Energy.item<double>():R}");
        Assert.Equal(model.ParameterCount, loaded.ParameterCount);
        Assert.Equal(a.Energy.item<double>(), b.Energy.item<double>());
        Assert.Equal(0, MaceTestSystems.MaxDiff(a.Forces!, b.Forces!));
        Assert.Equal(0, MaceTestSystems.MaxDiff(a.Scf!.Density, b.Scf!.Density));
        var header = ModelFile.ReadHeader(path);
        Assert.Equal([1, 8], header.AtomicNumbers);
        Assert.Equal(ModelFile.FormatVersion, header.Version);
        Assert.Equal(BlockNames.ManyBodyUpdate, header.Hyperparameters.UpdateConfig.Type);
        Assert.Equal([10.0, 10.0, 1.0, 1.0], header.Hyperparameters.FieldFeatureNorms!);
        Assert.Equal(0.5, header.Hyperparameters.AtomDensityScaling.Values[1]);
        Assert.Equal(-0.3, header.Hyperparameters.FermiLevelOffset);
        Assert.Equal(hp.Electrostatics.Method, header.Hyperparameters.Electrostatics.Method);
        Assert.Empty(Directory.GetFiles(_dir, "*.tmp"));
    }

    [Fact]
    public void BrokenFilesGiveClearErrors()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 32);
        var path = Path.Combine(_dir, "model.macescf");
        ModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);

        string Error(byte[] content)
        {
            var broken = Path.Combine(_dir, "broken.macescf");
            File.WriteAllBytes(broken, content);
            return Assert.Throws<InvalidDataException>(() => ModelFile.Load(broken)).Message;
        }

        Assert.Contains("not a macescf model file", Error(Encoding.ASCII.GetBytes("hello world, not a model")));
        Assert.Contains("corrupt", Error(bytes[..(bytes.Length / 2)]));
        Assert.Contains("unexpected bytes", Error([.. bytes, 1, 2, 3]));
        // A header from a newer format version.
        var text = Encoding.Latin1.GetString(bytes);
        var newer = Encoding.Latin1.GetBytes(text.Replace("\"version\": 1,", "\"version\": 9,"));
        Assert.Contains("format version 9", Error(newer));
        // Weights that do not fit the header's model (more channels announced).
        var wider = Encoding.Latin1.GetBytes(text.Replace("\"hidden_irreps\": \"4x0e+4x1o\"", "\"hidden_irreps\": \"5x0e+5x1o\""));
        Assert.Contains("do not match", Error(FixLength(wider, bytes)));
        output.WriteLine(Error(newer));
    }

    [Fact]
    public void WeightsChangedAfterTheHeaderAreRefusedNamingTheFile()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 33);
        var path = Path.Combine(_dir, "model.macescf");
        ModelFile.Save(model, path);
        var bytes = File.ReadAllBytes(path);
        int headerEnd = 14 + 4 + BitConverter.ToInt32(bytes, 14);
        // The damage: 20 random bytes after the header XORed (evaluations were 62 meV off, rc 0).
        var random = new Random(6);
        var positions = new HashSet<int>();
        while (positions.Count < 20) positions.Add(random.Next(headerEnd, bytes.Length));
        foreach (int p in positions) bytes[p] ^= (byte)random.Next(1, 256);
        File.WriteAllBytes(path, bytes);
        var error = Assert.Throws<InvalidDataException>(() => ModelFile.Load(path));
        Assert.Contains(path, error.Message);
        Assert.Contains("checksum", error.Message);
        var (code, text) = MaceScf.Tests.Cli.CliRunner.Run("eval", path, TestData.Fixture("test_configs.xyz"), "-o", Path.Combine(_dir, "out.xyz"));
        Assert.Equal(1, code);
        Assert.Contains("checksum", text);
        Assert.False(File.Exists(Path.Combine(_dir, "out.xyz")));
    }

    /// Rewrites the header length after a header edit that changed its size.
    private static byte[] FixLength(byte[] edited, byte[] original)
    {
        int delta = edited.Length - original.Length;
        int length = BitConverter.ToInt32(original, 14) + delta;
        BitConverter.GetBytes(length).CopyTo(edited, 14);
        return edited;
    }
}
