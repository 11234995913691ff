using System.Collections;
using MaceScf.Equivariant;

namespace MaceScf.MaceImport;

/// A pickled torch.nn.Module seen through its attribute dictionary: class, sub-modules, parameters, persistent buffers and
/// plain attributes, with its dotted path in the module tree (the state-dict prefix, e.g. `interactions.1.conv_tp`).
internal sealed class TorchModuleNode
{
    private readonly Hashtable _attributes;

    public TorchModuleNode(PickledObject value, string path, string file)
    {
        Object = value;
        Path = path;
        File = file;
        _attributes = value.Attributes
            ?? throw new MaceImportException($"'{file}': {Where} ({value.ClassName}) has no attribute dictionary; it is not a torch.nn.Module.");
        if (_attributes["_modules"] is not IDictionary || _attributes["_parameters"] is not IDictionary || _attributes["_buffers"] is not IDictionary)
            throw new MaceImportException($"'{file}': {Where} ({value.ClassName}) is not a torch.nn.Module (no _modules/_parameters/_buffers).");
    }

    public PickledObject Object { get; }

    public string Path { get; }

    public string File { get; }

    public string ClassName => Object.ClassName;

    /// The class name without its module, e.g. `RealAgnosticInteractionBlock`.
    public string ShortClassName => Object.Type.Name;

    /// "module 'interactions.1'" or "the root module".
    public string Where => Path.Length == 0 ? "the root module" : $"module '{Path}'";

    public string Prefix => Path.Length == 0 ? "" : Path + ".";

    public IEnumerable<(string Name, object? Value)> ChildEntries => Ordered((IDictionary)_attributes["_modules"]!);

    public IEnumerable<(string Name, StoredTensor Tensor)> Parameters =>
        Ordered((IDictionary)_attributes["_parameters"]!).Where(p => p.Value is not null).Select(p => (p.Name, Tensor(p)));

    public IEnumerable<(string Name, StoredTensor Tensor)> Buffers
    {
        get
        {
            var transient = _attributes["_non_persistent_buffers_set"] is IEnumerable set ? set.Cast<object>().Select(o => o?.ToString()).ToHashSet() : [];
            return Ordered((IDictionary)_attributes["_buffers"]!).Where(b => b.Value is not null && !transient.Contains(b.Name)).Select(b => (b.Name, Tensor(b)));
        }
    }

    public bool HasChild(string name) => ((IDictionary)_attributes["_modules"]!).Contains(name) && ((IDictionary)_attributes["_modules"]!)[name] is not null;

    public TorchModuleNode Child(string name)
    {
        var modules = (IDictionary)_attributes["_modules"]!;
        if (!modules.Contains(name) || modules[name] is null)
            throw new MaceImportException($"'{File}': {Where} ({ShortClassName}) has no sub-module '{name}'.");
        if (modules[name] is not PickledObject child)
            throw new MaceImportException($"'{File}': {Prefix}{name} is not a module object.");
        return new TorchModuleNode(child, Prefix + name, File);
    }

    /// Children of a ModuleList (or ParameterList-like container) in index order.
    public IReadOnlyList<TorchModuleNode> Items()
    {
        var names = ChildEntries.Select(c => c.Name).ToList();
        var indices = names.Select(n => int.TryParse(n, out int i) ? i : -1).OrderBy(i => i).ToList();
        if (!indices.SequenceEqual(Enumerable.Range(0, names.Count)))
            throw new MaceImportException($"'{File}': {Where} ({ShortClassName}) is not a list of modules 0..{names.Count - 1}.");
        return indices.Select(i => Child(i.ToString())).ToList();
    }

    public bool Has(string attribute) => _attributes.ContainsKey(attribute);

    public object? Attribute(string name) => _attributes.ContainsKey(name)
        ? _attributes[name]
        : throw new MaceImportException($"'{File}': {Where} ({ShortClassName}) has no attribute '{name}'; this MACE version is not supported.");

    public T Attribute<T>(string name) => Attribute(name) is T t
        ? t
        : throw new MaceImportException($"'{File}': attribute '{name}' of {Where} is {Attribute(name)?.GetType().Name ?? "None"}, expected {typeof(T).Name}.");

    public double Number(string name) => Convert.ToDouble(Attribute(name));

    public StoredTensor Buffer(string name) => Buffers.FirstOrDefault(b => b.Name == name).Tensor
        ?? throw new MaceImportException($"'{File}': {Where} ({ShortClassName}) has no buffer '{name}'.");

    public StoredTensor Parameter(string name) => Parameters.FirstOrDefault(b => b.Name == name).Tensor
        ?? throw new MaceImportException($"'{File}': {Where} ({ShortClassName}) has no parameter '{name}'.");

    /// An irreps attribute (an e3nn Irreps object or a string such as "16x0e").
    public Irreps IrrepsAttribute(string name) => ToIrreps(Attribute(name), $"{Prefix}{name}");

    public Irreps ToIrreps(object? value, string what) => value switch
    {
        string s => Irreps.Parse(s),
        PickledObject { ClassName: "e3nn.o3._irreps.Irreps" } o => new Irreps(Tuple(o).Select(m => ToMulIrrep(m, what))),
        _ => throw new MaceImportException($"'{File}': {what} is not an irreps value ({value?.GetType().Name ?? "None"})."),
    };

    private MulIrrep ToMulIrrep(object? value, string what)
    {
        var parts = value is PickledObject o ? Tuple(o) : value as object[];
        if (parts is not { Length: 2 }) throw new MaceImportException($"'{File}': {what} holds a malformed irreps segment.");
        var ir = parts[1] is PickledObject i ? Tuple(i) : parts[1] as object[];
        if (ir is not { Length: 2 }) throw new MaceImportException($"'{File}': {what} holds a malformed irrep.");
        return new MulIrrep(Convert.ToInt32(parts[0]), new Irrep(Convert.ToInt32(ir[0]), Convert.ToInt32(ir[1])));
    }

    /// The tuple content of a pickled tuple subclass (its constructor arguments).
    private static object[] Tuple(PickledObject o) => o.Args is [object[] inner] ? inner : o.Args;

    private StoredTensor Tensor((string Name, object? Value) entry) => entry.Value as StoredTensor
        ?? throw new MaceImportException($"'{File}': {Prefix}{entry.Name} is not a tensor ({entry.Value?.GetType().Name}).");

    private static IEnumerable<(string Name, object? Value)> Ordered(IDictionary d) =>
        d.Keys.Cast<object>().OrderBy(k => k.ToString(), StringComparer.Ordinal).Select(k => (k.ToString()!, d[k]));
}
