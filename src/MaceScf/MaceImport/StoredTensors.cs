using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.MaceImport;

/// Rebuilds <see cref="StoredTensor"/> views as TorchSharp tensors (a contiguous copy with the stored dtype).
internal static class StoredTensors
{
    /// The tensor described by <paramref name="stored"/>: its storage's little-endian bytes viewed with the stored offset,
    /// shape and strides (in elements), copied to a contiguous tensor.
    public static Tensor ToTensor(StoredTensor stored, string name)
    {
        var storage = stored.Storage;
        var bytes = storage.ReadBytes();
        int size = ElementSize(storage.Dtype);
        if (bytes.LongLength != storage.Numel * size)
            throw new MaceImportException($"{name}: storage '{storage.Key}' holds {bytes.LongLength} bytes, expected {storage.Numel} × {size}.");
        long last = stored.Offset + stored.Shape.Zip(stored.Strides).Sum(p => p.First == 0 ? 0 : (p.First - 1) * p.Second);
        if (stored.Offset < 0 || stored.Strides.Any(s => s < 0) || (stored.Numel > 0 && last >= storage.Numel))
            throw new MaceImportException($"{name}: the view (offset {stored.Offset}, shape [{string.Join(", ", stored.Shape)}], "
                + $"strides [{string.Join(", ", stored.Strides)}]) lies outside its storage of {storage.Numel} elements.");
        using var scope = NewDisposeScope();
        var flat = FromBytes(bytes, storage.Dtype, storage.Numel);
        var view = flat.as_strided(stored.Shape, stored.Strides, stored.Offset);
        return view.contiguous().clone().MoveToOuterDisposeScope();
    }

    private static Tensor FromBytes(byte[] bytes, ScalarType dtype, long numel) => dtype switch
    {
        ScalarType.Float64 => torch.tensor(MemoryMarshal.Cast<byte, double>(bytes).ToArray(), [numel], dtype),
        ScalarType.Float32 => torch.tensor(MemoryMarshal.Cast<byte, float>(bytes).ToArray(), [numel], dtype),
        ScalarType.Float16 => torch.tensor(MemoryMarshal.Cast<byte, Half>(bytes).ToArray().Select(h => (float)h).ToArray(), [numel])
            .to_type(dtype),
        ScalarType.BFloat16 => torch.tensor(MemoryMarshal.Cast<byte, ushort>(bytes).ToArray()
            .Select(b => BitConverter.Int32BitsToSingle(b << 16)).ToArray(), [numel]).to_type(dtype),
        ScalarType.Int64 => torch.tensor(MemoryMarshal.Cast<byte, long>(bytes).ToArray(), [numel], dtype),
        ScalarType.Int32 => torch.tensor(MemoryMarshal.Cast<byte, int>(bytes).ToArray(), [numel], dtype),
        ScalarType.Int16 => torch.tensor(MemoryMarshal.Cast<byte, short>(bytes).ToArray(), [numel], dtype),
        ScalarType.Int8 => torch.tensor(MemoryMarshal.Cast<byte, sbyte>(bytes).ToArray(), [numel], dtype),
        ScalarType.Byte => torch.tensor(bytes, [numel], dtype),
        ScalarType.Bool => torch.tensor(bytes.Select(b => b != 0).ToArray(), [numel], dtype),
        _ => throw new MaceImportException($"Unsupported storage dtype {dtype}."),
    };

    private static int ElementSize(ScalarType dtype) => dtype switch
    {
        ScalarType.Float64 or ScalarType.Int64 => 8,
        ScalarType.Float32 or ScalarType.Int32 => 4,
        ScalarType.Float16 or ScalarType.BFloat16 or ScalarType.Int16 => 2,
        _ => 1,
    };
}
