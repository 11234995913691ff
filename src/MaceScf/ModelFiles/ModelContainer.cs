using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.ModelFiles;

/// The container of every model file macescf writes: the magic line "MACESCF-MODEL", a little-endian int32 header length, a
/// UTF-8 JSON header whose `format` names the kind of model (and `version` its layout) and the TorchSharp state dict.
/// Written to a temporary file and renamed, so a crash never leaves half a model behind. The header also records the length
/// and SHA-256 of the weights (`payload_bytes`, `payload_sha256`); weights changed on disk are refused on load
/// (docs/errors.md). Each kind of model (fixed-point, plain MACE, …) has its own header record and reader on top of this.
internal static class ModelContainer
{
    private static readonly byte[] Magic = Encoding.ASCII.GetBytes("MACESCF-MODEL\n");

    /// Snake-case JSON of the headers; only settable properties are state (computed ones are rebuilt on load).
    public static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.SnakeCaseLower) },
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

    /// Writes header and weights to <paramref name="path"/> through a temporary file.
    public static void Save<THeader>(string path, THeader header, nn.Module weights)
    {
        var payload = new MemoryStream();
        using (var writer = new BinaryWriter(payload, Encoding.UTF8, leaveOpen: true)) weights.save(writer);
        var node = JsonSerializer.SerializeToNode(header, Json)!.AsObject();
        node[PayloadBytesKey] = payload.Length;
        node[PayloadChecksumKey] = Checksum(payload.GetBuffer().AsSpan(0, (int)payload.Length));
        var bytes = JsonSerializer.SerializeToUtf8Bytes(node, Json);
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
                writer.Write(payload.GetBuffer(), 0, (int)payload.Length);
            }
            File.Move(temp, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temp)) File.Delete(temp);
        }
    }

    /// Whether the file starts with the container's magic line.
    public static bool IsModelFile(string path)
    {
        using var stream = File.OpenRead(path);
        var head = new byte[Magic.Length];
        return stream.Read(head) == Magic.Length && head.AsSpan().SequenceEqual(Magic);
    }

    /// The `format` of the file's header (e.g. "macescf-fixedpoint-model").
    public static string ReadFormat(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader<FormatOnly>(reader, path).Format;
    }

    /// Reads and deserialises the header; the reader is left at the start of the weights.
    public static THeader ReadHeader<THeader>(BinaryReader reader, string path)
    {
        try
        {
            var magic = reader.ReadBytes(Magic.Length);
            if (!magic.AsSpan().SequenceEqual(Magic)) throw new InvalidDataException($"'{path}' is not a macescf model file.");
            int length = reader.ReadInt32();
            if (length <= 0 || length > reader.BaseStream.Length - reader.BaseStream.Position)
                throw new InvalidDataException($"'{path}': corrupt model header (length {length}).");
            return JsonSerializer.Deserialize<THeader>(reader.ReadBytes(length), Json)
                ?? throw new InvalidDataException($"'{path}': empty model header.");
        }
        catch (Exception e) when (e is JsonException or EndOfStreamException or NotSupportedException)
        {
            throw new InvalidDataException($"'{path}': corrupt model header ({e.Message}).", e);
        }
    }

    /// Reads the header of a file of one kind, refusing another format and a newer version of this one.
    public static THeader ReadHeader<THeader>(BinaryReader reader, string path, string format, int supportedVersion) where THeader : IModelFileHeader
    {
        var header = ReadHeader<THeader>(reader, path);
        if (header.Format != format) throw new InvalidDataException($"'{path}': model format '{header.Format}', expected '{format}'.");
        CheckVersion(path, header.Version, supportedVersion, header.LibraryVersion);
        return header;
    }

    /// Builds the model described by a header (an ArgumentException from the constructor means invalid hyper-parameters) and
    /// loads the weights that follow; the model is disposed when that fails.
    public static TModel Build<TModel>(BinaryReader reader, string path, Func<TModel> construct) where TModel : nn.Module
    {
        TModel model;
        try
        {
            model = construct();
        }
        catch (ArgumentException e)
        {
            throw new InvalidDataException($"'{path}': the hyper-parameters in the header are invalid: {e.Message}", e);
        }
        try
        {
            LoadWeights(reader, model, path);
        }
        catch
        {
            model.Dispose();
            throw;
        }
        return model;
    }

    /// Refuses a header written by a newer format version than this library reads.
    private static void CheckVersion(string path, int version, int supported, string writtenBy)
    {
        if (version > supported)
            throw new InvalidDataException($"'{path}' has model format version {version}, written by macescf {writtenBy}; "
                + $"this macescf ({MaceScf.Version.Text}) reads versions up to {supported}.");
    }

    private const string PayloadBytesKey = "payload_bytes", PayloadChecksumKey = "payload_sha256";

    private static string Checksum(ReadOnlySpan<byte> payload) => Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(payload));

    /// The weights that follow the header, checked against the header's length and SHA-256 when it has them (files written
    /// before checksums were added have none and are read as they are).
    private static BinaryReader CheckedWeights(BinaryReader reader, string path)
    {
        var stream = reader.BaseStream;
        long start = stream.Position;
        stream.Position = Magic.Length;
        int length = reader.ReadInt32();
        var header = System.Text.Json.Nodes.JsonNode.Parse(reader.ReadBytes(length))?.AsObject();
        stream.Position = start;
        if (header?[PayloadChecksumKey]?.GetValue<string>() is not { } expected) return reader;
        long bytes = header[PayloadBytesKey]?.GetValue<long>() ?? -1;
        long remaining = stream.Length - start;
        if (remaining < bytes)
            throw new InvalidDataException($"'{path}': corrupt model file (truncated: {remaining} of {bytes} bytes of weights).");
        if (remaining > bytes)
            throw new InvalidDataException($"'{path}': {remaining - bytes} unexpected bytes after the weights (corrupt file).");
        var payload = reader.ReadBytes((int)remaining);
        if (Checksum(payload) != expected)
            throw new InvalidDataException($"'{path}': the weights do not match the checksum in the header (the file was changed or damaged "
                + "after it was written); use an intact copy of the model");
        return new BinaryReader(new MemoryStream(payload));
    }

    /// Loads the weights that follow the header into <paramref name="model"/> (strict) and checks nothing follows them.
    public static void LoadWeights(BinaryReader reader, nn.Module model, string path)
    {
        reader = CheckedWeights(reader, path);
        try
        {
            model.load(reader, strict: true);
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            throw new InvalidDataException($"'{path}': the weights are corrupt or do not match the model described in the header ({e.Message}).", e);
        }
        if (reader.BaseStream.Position != reader.BaseStream.Length)
            throw new InvalidDataException($"'{path}': {reader.BaseStream.Length - reader.BaseStream.Position} unexpected bytes after the weights (corrupt file).");
    }

    private sealed record FormatOnly
    {
        public string Format { get; init; } = "";
    }
}
