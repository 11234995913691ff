using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TorchSharp;

namespace MaceScf.FixedPoint;

/// The header of a model file: everything needed to rebuild the model before its weights are read.
public sealed record ModelFileHeader
{
    public string Format { get; init; } = ModelFile.FormatName;

    public int Version { get; init; } = ModelFile.FormatVersion;

    public string LibraryVersion { get; init; } = MaceScf.Version.Text;

    public string Dtype { get; init; } = "float64";

    /// The species table: atomic numbers in one-hot order.
    public IReadOnlyList<int> AtomicNumbers { get; init; } = [];

    public required FixedPointHyperparameters Hyperparameters { get; init; }
}

/// One file holding a fixed-point model: the magic line "MACESCF-MODEL", a little-endian int32 header length, a UTF-8 JSON
/// header (format version, every hyper-parameter, the species table) and the TorchSharp state dict. Written to a temporary
/// file and renamed, so a crash never leaves half a model behind.
public static class ModelFile
{
    public const string FormatName = "macescf-fixedpoint-model";
    public const int FormatVersion = 1;
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("MACESCF-MODEL\n");

    private static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
        // Only settable properties are state; computed ones (irreps, resolved values) are rebuilt on load.
        TypeInfoResolver = new DefaultJsonTypeInfoResolver
        {
            Modifiers =
            {
                info =>
                {
                    if (info.Kind != JsonTypeInfoKind.Object) return;
                    foreach (var p in info.Properties.Where(p => p.Set is null).ToList()) info.Properties.Remove(p);
                },
            },
        },
    };

    public static void Save(FixedPointModel model, string path)
    {
        var header = new ModelFileHeader
        {
            Hyperparameters = model.Hyperparameters,
            AtomicNumbers = model.Hyperparameters.Mace.AtomicNumbers,
            Dtype = model.Dtype.ToString().ToLowerInvariant(),
        };
        var bytes = JsonSerializer.SerializeToUtf8Bytes(header, Json);
        var full = Path.GetFullPath(path);
        var temp = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = File.Create(temp))
            using (var writer = new BinaryWriter(stream))
            {
                writer.Write(Magic);
                writer.Write(bytes.Length);
                writer.Write(bytes);
                model.save(writer);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// Reads only the header (e.g. to describe a model).
    public static ModelFileHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(reader, path);
    }

    /// Rebuilds the model and loads its weights. A file that is not a model, is truncated or corrupt, or was written by an
    /// incompatible version gives an <see cref="InvalidDataException"/> that says which.
    public static FixedPointModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var header = ReadHeader(reader, path);
        var dtype = header.Dtype switch
        {
            "float64" => torch.ScalarType.Float64,
            "float32" => torch.ScalarType.Float32,
            _ => throw new InvalidDataException($"'{path}': unsupported dtype '{header.Dtype}'."),
        };
        FixedPointModel model;
        try
        {
            model = new FixedPointModel(header.Hyperparameters, dtype);
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': the hyper-parameters in the header are invalid: {e.Message}", e);
        }
        try
        {
            model.load(reader, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            model.Dispose();
            throw new InvalidDataException($"'{path}': the weights are corrupt or do not match the model described in the header ({e.Message}).", e);
        }
        if (stream.Position != stream.Length)
        {
            model.Dispose();
            throw new InvalidDataException($"'{path}': {stream.Length - stream.Position} unexpected bytes after the weights (corrupt file).");
        }
        return model;
    }

    private static ModelFileHeader ReadHeader(BinaryReader reader, string path)
    {
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"'{path}' is not a macescf model file.");
            int length = reader.ReadInt32();
            if (length <= 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
                throw new InvalidDataException($"'{path}': corrupt model header (length {length}).");
            var header = JsonSerializer.Deserialize<ModelFileHeader>(reader.ReadBytes(length), Json)
                ?? throw new InvalidDataException($"'{path}': empty model header.");
            if (header.Format != FormatName) throw new InvalidDataException($"'{path}': unknown model format '{header.Format}'.");
            if (header.Version > FormatVersion)
                throw new InvalidDataException($"'{path}' has model format version {header.Version}, written by macescf {header.LibraryVersion}; "
                    + $"this macescf ({MaceScf.Version.Text}) reads versions up to {FormatVersion}.");
            if (!header.AtomicNumbers.SequenceEqual(header.Hyperparameters.Mace.AtomicNumbers))
                throw new InvalidDataException($"'{path}': the species table does not match the hyper-parameters.");
            return header;
        }
        catch (Exception e) when (e is JsonException or EndOfStreamException or NotSupportedException)
        {
            throw new InvalidDataException($"'{path}': corrupt model header ({e.Message}).", e);
        }
    }
}
