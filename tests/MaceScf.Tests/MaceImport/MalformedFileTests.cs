using System.IO.Compression;
using System.Text;
using MaceScf.MaceImport;

namespace MaceScf.Tests.MaceImport;

/// Damaged and foreign files give a <see cref="MaceImportException"/> that says what and where, never a crash or a model.
/// The malformed files are built from the fixture models.
public class MalformedFileTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("maceimport").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    private static string Fixture => PythonMaceReferenceTests.ModelPath("mace_small_HO");

    [Fact]
    public void TruncatedArchiveIsNamed()
    {
        var bytes = File.ReadAllBytes(Fixture);
        var path = Write("truncated.model", bytes[..(bytes.Length / 2)]);
        var e = Assert.Throws<MaceImportException>(() => PythonMaceFile.Load(path));
        Assert.Contains("truncated.model", e.Message);
        Assert.Contains("truncated or damaged", e.Message);
    }

    [Fact]
    public void FileThatIsNoArchiveIsNamed()
    {
        var path = Write("structures.model", File.ReadAllBytes(TestData.Path("mace-models", "mace_small_HO_structures.xyz")));
        Assert.False(PythonMaceFile.IsTorchArchive(path));
        var e = Assert.Throws<MaceImportException>(() => PythonMaceFile.Load(path));
        Assert.Contains("structures.model", e.Message);
        Assert.True(PythonMaceFile.IsTorchArchive(Fixture));
    }

    [Fact]
    public void ForeignModuleIsRefusedWithItsClass()
    {
        // torch.nn.Linear pickled the way torch.save pickles a module: NEWOBJ, then BUILD with its attribute dictionary.
        var pickle = Pickle("ctorch.nn.modules.linear\nLinear\n)\u0081}X\u0008\u0000\u0000\u0000trainingq\u0000\u0089sb.");
        var path = WithDataPkl("linear.model", pickle);
        var e = Assert.Throws<MaceImportException>(() => PythonMaceFile.Load(path));
        Assert.Contains("torch.nn.modules.linear.Linear", e.Message);
        Assert.Contains("MACE", e.Message);
    }

    [Fact]
    public void StateDictIsRefusedWithAdvice()
    {
        // collections.OrderedDict() with one entry, as torch.save(model.state_dict()) starts.
        var pickle = Pickle("ccollections\nOrderedDict\n)RX\u0001\u0000\u0000\u0000aK\u0001s.");
        var path = WithDataPkl("state_dict.model", pickle);
        var e = Assert.Throws<MaceImportException>(() => PythonMaceFile.Load(path));
        Assert.True(e.Message.Contains("state dict") && e.Message.Contains("torch.save(model"), e.Message);
    }

    [Fact]
    public void GarbledPickleIsNamed()
    {
        var path = WithDataPkl("garbled.model", Pickle("\u00ff\u00fe\u00fd"));
        var e = Assert.Throws<MaceImportException>(() => PythonMaceFile.Load(path));
        Assert.Contains("data.pkl", e.Message);
    }

    [Theory]
    [InlineData("RealAgnosticResidualInteractionBlock", "RealAgnosticDensityInteractionBlock", "interactions.1")]
    [InlineData("BesselBasis", "GaussianBasis", "radial_embedding.bessel_fn")]
    public void UnsupportedBlockIsRefusedWithItsModulePath(string pythonClass, string replacement, string path)
    {
        var original = ReadEntry(Fixture, "data.pkl");
        var pickle = Replace(original, $"\n{pythonClass}\n", $"\n{replacement}\n");
        var file = WithDataPkl("unsupported.model", pickle);
        var e = Assert.Throws<MaceImportException>(() => PythonMaceFile.Load(file));
        Assert.Contains(path, e.Message);
        Assert.Contains(replacement, e.Message);
    }

    [Fact]
    public void MissingStorageIsNamed()
    {
        var file = Path.Combine(_dir, "missing_storage.model");
        Rewrite(Fixture, file, name => name.EndsWith("/data/0", StringComparison.Ordinal) ? null : ReadEntry(Fixture, name));
        var e = Assert.Throws<MaceImportException>(() => PythonMaceFile.Load(file));
        Assert.Contains("storage '0'", e.Message);
    }

    private static byte[] Pickle(string body) => [0x80, 0x02, .. Encoding.Latin1.GetBytes(body)];

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// The fixture archive with its data.pkl replaced.
    private string WithDataPkl(string name, byte[] pickle)
    {
        var path = Path.Combine(_dir, name);
        Rewrite(Fixture, path, entry => entry.EndsWith("/data.pkl", StringComparison.Ordinal) ? pickle : ReadEntry(Fixture, entry));
        return path;
    }

    private static void Rewrite(string source, string destination, Func<string, byte[]?> content)
    {
        using var input = ZipFile.OpenRead(source);
        using var output = ZipFile.Open(destination, ZipArchiveMode.Create);
        foreach (var entry in input.Entries)
        {
            var bytes = content(entry.FullName);
            if (bytes is null) continue;
            using var stream = output.CreateEntry(entry.FullName, CompressionLevel.NoCompression).Open();
            stream.Write(bytes);
        }
    }

    private static byte[] ReadEntry(string archive, string suffix)
    {
        using var zip = ZipFile.OpenRead(archive);
        var entry = zip.Entries.Single(e => e.FullName.EndsWith(suffix, StringComparison.Ordinal));
        using var stream = entry.Open();
        using var copy = new MemoryStream();
        stream.CopyTo(copy);
        return copy.ToArray();
    }

    private static byte[] Replace(byte[] data, string from, string to)
    {
        var text = Encoding.Latin1.GetString(data);
        Assert.Contains(from, text);
        return Encoding.Latin1.GetBytes(text.Replace(from, to));
    }
}
