using System.Runtime.ExceptionServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf;

/// Gradients by libtorch's backward pass, with its failures arriving in .NET as exceptions
/// (docs/errors.md, "Failures in the backward pass"). TorchSharp's `autograd.grad` lets an error raised inside the
/// backward pass (a failed allocation) cross into .NET unhandled, which aborts the process; its `autograd.backward`
/// catches it and throws an <see cref="ExternalException"/>. <see cref="Of"/> is `autograd.grad` computed with
/// `autograd.backward(inputs: …)`: the gradients are accumulated into the inputs' `.grad`, read, and the previous
/// `.grad` put back. An exception thrown inside a backward written in C# (<see cref="FixedPoint.KrylovSolve"/>) cannot
/// cross the native engine either: it is recorded with <see cref="RecordFailure"/> and thrown again here, on the
/// calling thread.
internal static class Gradients
{
    private static readonly object Gate = new();
    private static Exception? _failure;
    private static int _quietened;

    /// ∂(Σ outputs·gradOutputs)/∂inputs, as `autograd.grad` with the same arguments (null entries, as there, for inputs the
    /// outputs do not depend on when <paramref name="allowUnused"/>).
    /// <exception cref="ExternalException">libtorch failed inside the backward pass (e.g. could not allocate memory)</exception>
    public static IList<Tensor> Of(IList<Tensor> outputs, IList<Tensor> inputs, IList<Tensor>? gradOutputs = null, bool retainGraph = false,
        bool createGraph = false, bool allowUnused = false)
    {
        // A non-leaf's .grad is not read before the pass (libtorch warns on reading an undefined one); it holds nothing.
        var previous = inputs.Select(t => t.is_leaf ? t.grad : null).ToArray();
        foreach (var t in inputs) t.grad = null;
        try
        {
            try
            {
                if (createGraph) QuietenReferenceCycleWarning();
                autograd.backward(outputs, gradOutputs, retain_graph: retainGraph || createGraph, create_graph: createGraph, inputs: inputs);
            }
            catch (ExternalException e) when (e is not BackwardPassException)
            {
                throw new BackwardPassException(e);
            }
            ThrowRecordedFailure();
            var result = inputs.Select(t => t.grad!).ToArray();
            if (!allowUnused && result.Any(g => g is null))
                throw new InvalidOperationException("one of the differentiated tensors does not take part in the graph of the outputs");
            return result;
        }
        finally
        {
            for (int i = 0; i < inputs.Count; i++) inputs[i].grad = previous[i];
        }
    }

    /// `loss.backward()` into the parameters' `.grad`, with the failures of a C# backward thrown here.
    public static void Backward(Tensor loss)
    {
        try
        {
            loss.backward();
        }
        catch (ExternalException e) when (e is not BackwardPassException)
        {
            throw new BackwardPassException(e);
        }
        ThrowRecordedFailure();
    }

    /// Called by a backward written in C#: keeps the first failure for the caller of <see cref="Of"/> or <see cref="Backward"/>.
    public static void RecordFailure(Exception failure)
    {
        lock (Gate) _failure ??= failure;
    }

    private static void ThrowRecordedFailure()
    {
        Exception? failure;
        lock (Gate) (failure, _failure) = (_failure, null);
        if (failure is ExternalException and not BackwardPassException or OutOfMemoryException) throw new BackwardPassException(failure);
        if (failure is not null) ExceptionDispatchInfo.Throw(failure);
    }

    /// libtorch warns once per process, on standard error, that `backward(create_graph=True)` makes a reference cycle between
    /// a tensor and its `.grad`; <see cref="Of"/> clears every `.grad` it set, so the warning does not apply. It is spent on a
    /// one-element graph with standard error pointed at /dev/null (Linux; elsewhere the warning is printed once).
    private static void QuietenReferenceCycleWarning()
    {
        if (Interlocked.Exchange(ref _quietened, 1) == 1 || !OperatingSystem.IsLinux()) return;
        using var scope = NewDisposeScope();
        var x = ones(1, dtype: ScalarType.Float64).requires_grad_(true);
        var y = (x * x).sum();
        int saved = Dup(2);
        int sink = Open("/dev/null", 1);
        if (saved < 0 || sink < 0) return;
        try
        {
            Dup2(sink, 2);
            autograd.backward([y], create_graph: true, inputs: [x]);
        }
        finally
        {
            Dup2(saved, 2);
            Close(sink);
            Close(saved);
            x.grad = null;
        }
    }

    [DllImport("libc", EntryPoint = "dup")]
    private static extern int Dup(int fd);

    [DllImport("libc", EntryPoint = "dup2")]
    private static extern int Dup2(int fd, int target);

    [DllImport("libc", EntryPoint = "open", CharSet = CharSet.Ansi)]
    private static extern int Open(string path, int flags);

    [DllImport("libc", EntryPoint = "close")]
    private static extern int Close(int fd);
}

/// A failure of libtorch (most often an allocation) inside a backward pass; the message says so before libtorch's
/// (docs/errors.md, "Failures in the backward pass"). <see cref="Purpose"/> says what the pass was computing: forces,
/// stress, implicit derivatives or training gradients unless the caller knows better (the SCF's charge response).
internal sealed class BackwardPassException(Exception inner, string purpose = BackwardPassException.Derivatives)
    : ExternalException($"in the backward pass: {inner.Message}", inner)
{
    public const string Derivatives = "forces, stress or gradients";

    public string Purpose { get; } = purpose;
}
