using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf;

/// Arithmetic of a tensor with a number, and the sum of two tensors, whose TorchSharp <see cref="Scalar"/> stays alive
/// until libtorch has returned (docs/design.md, "Tensor lifetimes"). TorchSharp 0.107 makes a number into a Scalar, an
/// object that owns a native c10::Scalar and frees it in its finalizer, and hands libtorch only the native pointer: the
/// object is unreachable while libtorch runs, so a garbage collection started by another thread can free the c10::Scalar
/// under libtorch's feet ("Expected false to be true" from c10::Scalar::toDouble, "Unknown scalar type", or a wrong
/// number). Its operators (`t * 2`, `1 - t`) make such temporaries, and so does `a + b` (the alpha 1 of
/// `Tensor.add(Tensor)`). These methods dispose their Scalar after the call, which keeps it reachable until then, and add
/// with an alpha held by this class for the life of the process. The Scalars are those of TorchSharp's operators (an
/// integer for an integer, a double for a double), so the results are the same bits.
internal static class HeldScalars
{
    /// The integer 1, held for the life of the process: the alpha of additions (`add_(t, One)`, `index_add(…, One)`).
    public static readonly Scalar One = 1L.ToScalar();

    /// a + b.
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// t + value.
    public static Tensor Plus(this Tensor t, long value)
    {
        using var s = value.ToScalar();
        return t.add(s, One);
    }

    /// t + value.
    public static Tensor Plus(this Tensor t, double value)
    {
        using var s = value.ToScalar();
        return t.add(s, One);
    }

    /// t · factor.
    public static Tensor Times(this Tensor t, long factor)
    {
        using var s = factor.ToScalar();
        return t.mul(s);
    }

    /// t · factor.
    public static Tensor Times(this Tensor t, double factor)
    {
        using var s = factor.ToScalar();
        return t.mul(s);
    }

    /// t / divisor.
    public static Tensor DividedBy(this Tensor t, double divisor)
    {
        using var s = divisor.ToScalar();
        return t.div(s);
    }
}
