using System.Collections;
using System.IO.Compression;
using Razorvine.Pickle;
using Razorvine.Pickle.Objects;
using static TorchSharp.torch;

namespace MaceScf.MaceImport;

/// The content of a file written by PyTorch's `torch.save` (zip format, PyTorch ≥ 1.6): the unpickled object graph of
/// `data.pkl` (unknown classes as <see cref="PickledObject"/>, tensors as <see cref="StoredTensor"/>, dicts as
/// Hashtable, lists as ArrayList, tuples as object[]) and the archive's format version.
internal sealed record TorchArchive(string Path, object? Root, string? FormatVersion)
{
    /// Whether the file starts like a zip archive holding a `data.pkl` (a torch.save file), without reading it whole.
    public static bool LooksLikeTorchSave(string path)
    {
        try
        {
            using var stream = File.OpenRead(path);
            Span<byte> head = stackalloc byte[4];
            if (stream.Read(head) < 4 || head[0] != (byte)'P' || head[1] != (byte)'K' || head[2] != 3 || head[3] != 4) return false;
            stream.Position = 0;
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            return zip.Entries.Any(e => e.FullName.EndsWith("/data.pkl", StringComparison.Ordinal) || e.FullName == "data.pkl");
        }
        catch (Exception e) when (e is InvalidDataException or IOException)
        {
            return true; // starts like a zip but is damaged: let Read report what is wrong
        }
    }

    /// Reads the archive. Damaged archives, missing entries and pickles this reader cannot follow give a
    /// <see cref="MaceImportException"/> naming the file and what is wrong.
    public static TorchArchive Read(string path)
    {
        Dictionary<string, byte[]> entries;
        try
        {
            using var stream = File.OpenRead(path);
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read);
            entries = zip.Entries.Where(e => !e.FullName.EndsWith('/')).ToDictionary(e => e.FullName, e =>
            {
                using var s = e.Open();
                using var copy = new MemoryStream();
                s.CopyTo(copy);
                return copy.ToArray();
            });
        }
        catch (InvalidDataException e)
        {
            throw new MaceImportException($"'{path}' is not a readable torch.save zip archive (truncated or damaged: {e.Message}).", e);
        }
        var pickle = entries.Keys.Where(k => k == "data.pkl" || k.EndsWith("/data.pkl", StringComparison.Ordinal)).ToList();
        if (pickle.Count != 1)
            throw new MaceImportException($"'{path}' is a zip archive but not a torch.save file: it has {pickle.Count} data.pkl entries (expected 1).");
        string prefix = pickle[0][..^"data.pkl".Length];
        if (entries.TryGetValue(prefix + "byteorder", out var order) && System.Text.Encoding.ASCII.GetString(order).Trim() != "little")
            throw new MaceImportException($"'{path}': storages are big-endian; only little-endian archives are supported.");
        string? version = entries.TryGetValue(prefix + "version", out var v) ? System.Text.Encoding.ASCII.GetString(v).Trim() : null;
        var root = TorchUnpickler.Load(entries[pickle[0]], key =>
            entries.TryGetValue(prefix + "data/" + key, out var bytes)
                ? bytes
                : throw new MaceImportException($"'{path}': the storage '{key}' named in data.pkl is missing from the archive (entry {prefix}data/{key})."),
            path);
        return new TorchArchive(path, root, version);
    }
}

/// Razorvine's unpickler with torch.save's persistent storages and a generic stand-in for every Python class.
internal sealed class TorchUnpickler : Unpickler
{
    private static readonly object Gate = new();
    private static readonly HashSet<string> Registered = [];
    private readonly Func<string, byte[]> _readStorage;
    private readonly Dictionary<string, TorchStorage> _storages = [];
    private readonly string _path;

    private TorchUnpickler(Func<string, byte[]> readStorage, string path)
    {
        _readStorage = readStorage;
        _path = path;
    }

    static TorchUnpickler()
    {
        registerConstructor("torch._utils", "_rebuild_tensor_v2", new TensorConstructor(false));
        registerConstructor("torch._utils", "_rebuild_parameter", new TensorConstructor(true));
        registerConstructor("torch._utils", "_rebuild_parameter_with_state", new TensorConstructor(true));
        registerConstructor("collections", "OrderedDict", new OrderedDictConstructor());
        foreach (var known in new[] { "torch._utils._rebuild_tensor_v2", "torch._utils._rebuild_parameter",
                     "torch._utils._rebuild_parameter_with_state", "collections.OrderedDict" })
            Registered.Add(known);
    }

    /// Unpickles data.pkl. Razorvine's global constructor table is process-wide, so loads are serialised; a class seen for
    /// the first time is registered with the generic <see cref="PythonGlobal"/> constructor and the pickle read again.
    public static object? Load(byte[] pickle, Func<string, byte[]> readStorage, string path)
    {
        lock (Gate)
        {
            for (int attempt = 0; attempt < 10_000; attempt++)
            {
                object? result;
                try
                {
                    using var unpickler = new TorchUnpickler(readStorage, path);
                    result = unpickler.loads(pickle);
                }
                catch (PickleException e) when (UnregisteredClass(e) is { } name && Registered.Add(name))
                {
                    Register(name);
                    continue;
                }
                catch (Exception e) when (e is PickleException or InvalidCastException or IndexOutOfRangeException
                                              or ArgumentException or InvalidOperationException or EndOfStreamException)
                {
                    throw new MaceImportException($"'{path}': data.pkl cannot be read as a pickle ({e.GetBaseException().Message}).", e);
                }
                var plain = new List<string>();
                CollectClassDicts(result, plain, new HashSet<object>(ReferenceEqualityComparer.Instance));
                var fresh = plain.Where(Registered.Add).ToList();
                if (fresh.Count == 0) return result;
                foreach (var name in fresh) Register(name);
            }
            throw new MaceImportException($"'{path}': data.pkl names too many Python classes.");
        }
    }

    private static void Register(string fullName)
    {
        int dot = fullName.LastIndexOf('.');
        string module = dot < 0 ? "" : fullName[..dot], name = fullName[(dot + 1)..];
        registerConstructor(module, name, new PythonGlobal(module, name));
    }

    /// Razorvine's message for a class called with arguments that has no registered constructor names the class.
    private static string? UnregisteredClass(PickleException e)
    {
        const string marker = "ClassDict (for ";
        var m = e.GetBaseException().Message;
        int i = m.IndexOf(marker, StringComparison.Ordinal);
        if (i < 0) return null;
        int end = m.IndexOf(')', i);
        return end < 0 ? null : m[(i + marker.Length)..end];
    }

    private static void CollectClassDicts(object? o, List<string> names, HashSet<object> seen)
    {
        if (o is null || o is string || o is byte[] || o.GetType().IsPrimitive || !seen.Add(o)) return;
        switch (o)
        {
            case ClassDict c:
                names.Add(c.ClassName);
                foreach (var v in c.Values) CollectClassDicts(v, names, seen);
                break;
            case ClassDictConstructor g:
                names.Add($"{g.module}.{g.name}");
                break;
            case PickledObject p:
                foreach (var a in p.Args) CollectClassDicts(a, names, seen);
                CollectClassDicts(p.State, names, seen);
                break;
            case IDictionary d:
                foreach (DictionaryEntry kv in d) { CollectClassDicts(kv.Key, names, seen); CollectClassDicts(kv.Value, names, seen); }
                break;
            case IEnumerable list:
                foreach (var v in list) CollectClassDicts(v, names, seen);
                break;
        }
    }

    protected override object persistentLoad(object pid)
    {
        // ('storage', <torch.XStorage class>, key, location, numel)
        if (pid is not object[] { Length: >= 5 } t || t[0] as string != "storage" || t[2] is not string key)
            throw new MaceImportException($"'{_path}': unknown persistent id in data.pkl ({Describe(pid)}).");
        if (_storages.TryGetValue(key, out var known)) return known;
        string type = t[1] switch { PythonGlobal g => g.Name, ClassDictConstructor c => c.name, var other => other?.ToString() ?? "?" };
        var dtype = StorageDtype(type) ?? throw new MaceImportException($"'{_path}': storage '{key}' has the unsupported type torch.{type}.");
        long numel = Convert.ToInt64(t[4]);
        var storage = new TorchStorage(key, dtype, numel, () => _readStorage(key));
        _storages[key] = storage;
        return storage;
    }

    private static string Describe(object? o) => o is object[] a ? $"({string.Join(", ", a.Select(Describe))})" : o?.ToString() ?? "None";

    private static ScalarType? StorageDtype(string name) => name switch
    {
        "DoubleStorage" => ScalarType.Float64,
        "FloatStorage" => ScalarType.Float32,
        "HalfStorage" => ScalarType.Float16,
        "BFloat16Storage" => ScalarType.BFloat16,
        "LongStorage" => ScalarType.Int64,
        "IntStorage" => ScalarType.Int32,
        "ShortStorage" => ScalarType.Int16,
        "CharStorage" => ScalarType.Int8,
        "ByteStorage" => ScalarType.Byte,
        "BoolStorage" => ScalarType.Bool,
        _ => null,
    };

    /// torch._utils._rebuild_tensor_v2(storage, offset, size, stride, requires_grad, hooks[, metadata]) and
    /// _rebuild_parameter(data, requires_grad, hooks[, state]).
    private sealed class TensorConstructor(bool parameter) : IObjectConstructor
    {
        public object construct(object[] args)
        {
            if (parameter)
                return args.Length >= 1 && args[0] is StoredTensor data
                    ? data with { IsParameter = true }
                    : throw new PickleException("torch._utils._rebuild_parameter: expected a tensor as first argument");
            if (args.Length < 4 || args[0] is not TorchStorage storage || args[2] is not object[] size || args[3] is not object[] stride)
                throw new PickleException("torch._utils._rebuild_tensor_v2: unexpected arguments");
            return new StoredTensor(storage, Convert.ToInt64(args[1]), size.Select(Convert.ToInt64).ToArray(), stride.Select(Convert.ToInt64).ToArray());
        }
    }

    /// collections.OrderedDict as a Hashtable (Razorvine's SETITEMS fills a Hashtable; order is not kept, and the importer
    /// orders ModuleList items by index).
    private sealed class OrderedDictConstructor : IObjectConstructor
    {
        public object construct(object[] args)
        {
            var table = new Hashtable();
            if (args.Length > 0 && args[0] is IEnumerable pairs)
                foreach (var p in pairs)
                    if (p is object[] { Length: 2 } kv) table[kv[0]] = kv[1];
            return table;
        }
    }
}
