using System.Diagnostics;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Distributed;

/// Sums the parameters' gradients over the ranks with one collective per step: every gradient, flattened in parameter order
/// into one float64 buffer, followed by one presence flag per parameter (a parameter no rank differentiated keeps no
/// gradient, as in a single process). Every rank then holds the gradient of the global batch's loss.
internal sealed class GradientSum(ICommunicator ranks, IReadOnlyList<Parameter> parameters)
{
    private readonly long _values = parameters.Sum(p => p.numel());

    /// Time spent in the collective so far.
    public TimeSpan Communication { get; private set; }

    public void Run()
    {
        if (ranks.Size == 1) return;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var buffer = new double[_values + parameters.Count];
        long offset = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (p.grad is { } g)
            {
                g.to_type(ScalarType.Float64).contiguous().data<double>().ToArray().CopyTo(buffer, offset);
                buffer[_values + i] = 1;
            }
            offset += p.numel();
        }
        var watch = Stopwatch.StartNew();
        ranks.Sum(buffer);
        Communication += watch.Elapsed;
        var summed = tensor(buffer, dtype: ScalarType.Float64);
        offset = 0;
        for (int i = 0; i < parameters.Count; i++)
        {
            var p = parameters[i];
            if (buffer[_values + i] > 0)
            {
                var value = summed.narrow(0, offset, p.numel()).view(p.shape).to_type(p.dtype);
                if (p.grad is { } g) g.copy_(value);
                else p.grad = value.clone().DetachFromDisposeScope();
            }
            offset += p.numel();
        }
    }
}
