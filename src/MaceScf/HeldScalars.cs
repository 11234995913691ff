using System.Reflection;
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

    /// The integer 2, held for the life of the process: the exponent of <see cref="Squared"/>.
    private static readonly Scalar Two = 2.ToScalar();

    /// op applied to <paramref name="value"/> as a Scalar that lives until op returns.
    private static Tensor Held(double value, Func<Scalar, Tensor> op)
    {
        using var s = value.ToScalar();
        return op(s);
    }

    /// op applied to <paramref name="value"/> as a Scalar that lives until op returns.
    private static Tensor Held(long value, Func<Scalar, Tensor> op)
    {
        using var s = value.ToScalar();
        return op(s);
    }

    /// a + b.
    public static Tensor Plus(this Tensor a, Tensor b) => a.add(b, One);

    /// t + value.
    public static Tensor Plus(this Tensor t, long value) => Held(value, s => t.add(s, One));

    /// t + value.
    public static Tensor Plus(this Tensor t, double value) => Held(value, s => t.add(s, One));

    /// t · factor.
    public static Tensor Times(this Tensor t, long factor) => Held(factor, t.mul);

    /// t · factor.
    public static Tensor Times(this Tensor t, double factor) => Held(factor, t.mul);

    /// t / divisor.
    public static Tensor DividedBy(this Tensor t, double divisor) => Held(divisor, s => t.div(s));

    /// t / divisor.
    public static Tensor DividedBy(this Tensor t, long divisor) => Held(divisor, s => t.div(s));

    /// t − value.
    public static Tensor Minus(this Tensor t, double value) => Held(value, t.sub);

    /// t − value.
    public static Tensor Minus(this Tensor t, long value) => Held(value, t.sub);

    /// value / t, as TorchSharp's operator computes it: (1/t) · value.
    public static Tensor Over(this double value, Tensor t) => t.reciprocal().Times(value);

    /// t², as TorchSharp's <c>square()</c> computes it: t.pow(2) with the integer 2.
    public static Tensor Squared(this Tensor t) => t.pow(Two);

    /// t^exponent.
    public static Tensor Power(this Tensor t, double exponent) => Held(exponent, t.pow);

    /// t &gt; value.
    public static Tensor GreaterThan(this Tensor t, double value) => Held(value, t.gt);

    /// t &gt; value.
    public static Tensor GreaterThan(this Tensor t, long value) => Held(value, t.gt);

    /// t ≤ value.
    public static Tensor AtMost(this Tensor t, double value) => Held(value, t.le);

    /// t == value.
    public static Tensor EqualTo(this Tensor t, long value) => Held(value, t.eq);

    /// t != value.
    public static Tensor NotEqualTo(this Tensor t, long value) => Held(value, t.ne);

    /// 0, 1, …, stop − 1, as TorchSharp's <c>arange(stop)</c> makes them (start and step the integers 0 and 1).
    public static Tensor Range(long stop, ScalarType? dtype = null, Device? device = null)
    {
        using Scalar start = 0.ToScalar(), end = stop.ToScalar();
        return arange(start, end, One, dtype, device);
    }

    /// start, start + 1, …, stop − 1, as TorchSharp's <c>arange(start, stop)</c> makes them (step the integer 1).
    public static Tensor Range(long start, long stop, ScalarType? dtype = null, Device? device = null)
    {
        using Scalar first = start.ToScalar(), end = stop.ToScalar();
        return arange(first, end, One, dtype, device);
    }

    /// The value of a one-element tensor as a double (TorchSharp's <c>ToDouble()</c> reads it through a Scalar it drops).
    public static double Value(this Tensor t)
    {
        using var s = t.ToScalar();
        return s.ToDouble();
    }

    /// softplus_β(t) with PyTorch's threshold (<c>nn.functional.softplus</c>). TorchSharp's public softplus turns β and the
    /// threshold into Scalars it drops; its private overload that takes the Scalars is called with held ones.
    public static Tensor Softplus(this Tensor t, double beta, double threshold)
    {
        using Scalar b = beta.ToScalar(), limit = threshold.ToScalar();
        return SoftplusOfScalars(t, b, limit);
    }

    private static readonly Func<Tensor, Scalar, Scalar, Tensor> SoftplusOfScalars =
        typeof(Tensor).GetMethod("softplus1", BindingFlags.Instance | BindingFlags.NonPublic, [typeof(Scalar), typeof(Scalar)])
            ?.CreateDelegate<Func<Tensor, Scalar, Scalar, Tensor>>()
        ?? throw new MissingMethodException("TorchSharp's Tensor.softplus1(Scalar, Scalar) (TorchSharp 0.107) is missing; see docs/design.md, \"Scalars\"");
}
