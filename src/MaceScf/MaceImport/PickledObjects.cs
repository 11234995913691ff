using System.Collections;
using Razorvine.Pickle;

namespace MaceScf.MaceImport;

/// A Python global (class or function) named in a pickle, e.g. `mace.modules.models.MACE` or `torch.nn.functional.silu`.
/// Calling it (REDUCE/NEWOBJ) gives a <see cref="PickledObject"/> that keeps the arguments and, after BUILD, the state.
internal sealed class PythonGlobal(string module, string name) : IObjectConstructor
{
    public string Module { get; } = module;

    public string Name { get; } = name;

    public string FullName => $"{Module}.{Name}";

    public object construct(object[] args) => new PickledObject(this, args);

    public override string ToString() => FullName;
}

/// An instance of a Python class we do not model: its class, its constructor arguments and its state (for a
/// torch.nn.Module the attribute dictionary with `_modules`, `_parameters`, `_buffers`, …).
internal sealed class PickledObject(PythonGlobal type, object[] args)
{
    public PythonGlobal Type { get; } = type;

    public string ClassName => Type.FullName;

    public object[] Args { get; } = args;

    public object? State { get; private set; }

    /// The attribute dictionary (state of a plain object), or null.
    public Hashtable? Attributes => State switch
    {
        Hashtable h => h,
        // (dict, slots) state of objects with __slots__
        object[] { Length: 2 } pair when pair[0] is Hashtable h => h,
        _ => null,
    };

    /// Called by the unpickler for BUILD.
    public void __setstate__(object state) => State = state;

    public override string ToString() => $"<{ClassName}>";
}

/// A tensor stored in a torch.save archive: a view (offset, shape, strides, in elements) of one storage.
internal sealed record StoredTensor(TorchStorage Storage, long Offset, long[] Shape, long[] Strides, bool IsParameter = false)
{
    public long Numel => Shape.Aggregate(1L, (a, b) => a * b);

    public override string ToString() => $"{Storage.Dtype}[{string.Join(", ", Shape)}]";
}

/// One storage of a torch.save archive: its element type, element count and the archive entry holding its bytes.
internal sealed record TorchStorage(string Key, TorchSharp.torch.ScalarType Dtype, long Numel, Func<byte[]> ReadBytes);
