using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// A sum over pair blocks f(x) = ⊕_b f_b(x): the blocks' results concatenated along the first dimension (rows of the
/// receivers of each block) or summed. <see cref="Evaluate"/> gives f_b of the inputs, differentiable in them when grad
/// mode is on; its last argument says that its result will be differentiated again (second derivatives).
/// <see cref="Pairing"/>, when given, is the scalar ⟨f_b(x), g⟩ for a cotangent g of the whole result (summed terms), differentiable
/// in x and g: the vector–Jacobian products differentiate it instead of f_b, so a block whose result is much larger than its
/// inputs (the PME spreading: a whole grid per block) is never built under autograd.
/// <see cref="Slices"/>, when given, names for block b and input i the rows of that input the block reads (null: all of it); f_b then
/// receives those rows only, and a backward pass without a graph adds each block's gradient into those rows, so that its cost is the
/// block's, not the size of the inputs (the backbone's edge chunks and node blocks: O(N) per block would make the backward pass
/// O(N²); docs/benchmarks.md, "The backbone's blocks in the backward pass").
/// <see cref="Placed"/>, when given for summed terms, says that block b's result is rows Start..Start+Length of a sum of Total rows
/// (zero elsewhere; overlapping ranges add up): the block computes only those rows (the backbone's edge chunks: the receivers of a
/// block's edges are a range of nodes).
internal sealed record BlockTerms(int Count, bool Concatenated, Func<int, Tensor[], bool, Tensor> Evaluate,
    Func<int, Tensor[], Tensor, Tensor>? Pairing = null, Func<int, int, (long Start, long Length)?>? Slices = null,
    (Func<int, (long Start, long Length)> Rows, long Total)? Placed = null)
{
    /// Block b's rows of the cotangent of the whole result (all of it for summed terms that are not <see cref="Placed"/>).
    Tensor CotangentOf(int b, Tensor cotangent, long[] offsets, long[] rows) =>
        Concatenated ? cotangent.narrow(0, offsets[b], rows[b])
        : Placed is { } placed && placed.Rows(b) is var r ? cotangent.narrow(0, r.Start, r.Length) : cotangent;

    /// Block b's inputs: the rows of each input the block reads (<see cref="Slices"/>), or the inputs themselves.
    Tensor[] Of(int b, Tensor[] inputs) =>
        Slices is null ? inputs : inputs.Select((t, i) => Slices(b, i) is { } s ? t.narrow(0, s.Start, s.Length) : t).ToArray();

    /// The blocks' results, each block freed before the next is built.
    public Tensor Combine(Tensor[] inputs, long[] rows)
    {
        Tensor? total = null;
        var parts = new List<Tensor>();
        for (int b = 0; b < Count; b++)
        {
            using (var scope = NewDisposeScope())
            {
                var part = Evaluate(b, Of(b, inputs), false).detach();
                rows[b] = part.dim() == 0 ? 1 : part.shape[0];
                if (Concatenated) parts.Add(part.MoveToOuterDisposeScope());
                else if (Placed is { } placed)
                {
                    var r = placed.Rows(b);
                    total ??= zeros(part.shape.Skip(1).Prepend(placed.Total).ToArray(), dtype: part.dtype, device: part.device).MoveToOuterDisposeScope();
                    total.narrow(0, r.Start, r.Length).add_(part, HeldScalars.One);
                }
                else total = total is null ? part.MoveToOuterDisposeScope() : total.add_(part, HeldScalars.One);
            }
        }
        if (Concatenated) return cat(parts, 0);
        return total ?? throw new InvalidOperationException("a summed block term needs at least one block");
    }

    /// The vector–Jacobian product of these blocks as blocks again: inputs (x, g), block b gives ∂(f_b(x)·g_b)/∂x for the
    /// differentiable inputs, flattened and concatenated (g_b: the rows of block b of g, or all of g when summed).
    public BlockTerms VectorJacobian(bool[] differentiable, long[] rows)
    {
        var offsets = Offsets(rows);
        var wrt = Enumerable.Range(0, differentiable.Length).Where(i => differentiable[i]).ToArray();
        return new BlockTerms(Count, Concatenated: false, (b, inputs, graph) =>
        {
            var cotangent = inputs[^1];
            using var enable = enable_grad();
            var x = inputs[..^1].Select((t, i) => differentiable[i] && !t.requires_grad ? t.detach().requires_grad_(true) : t).ToArray();
            var g = CotangentOf(b, cotangent, offsets, rows);
            var value = Pairing is { } pairing ? pairing(b, Of(b, x), g) : Evaluate(b, Of(b, x), true);
            var gradients = value.requires_grad
                ? Gradients.Of([value], wrt.Select(i => x[i]).ToArray(), Pairing is null ? [g] : null, createGraph: graph, allowUnused: true)
                : new Tensor[wrt.Length];
            return cat(wrt.Select((i, k) => (gradients[k] ?? zeros_like(x[i])).flatten()).ToArray(), 0);
        });
    }

    /// The vector–Jacobian product without a graph: per differentiable input its gradient (null for the others), each block's
    /// gradient added into the rows it read (<see cref="Slices"/>), one block at a time.
    public Tensor?[] AccumulatedVectorJacobian(bool[] differentiable, long[] rows, Tensor[] inputs, Tensor cotangent)
    {
        var offsets = Offsets(rows);
        var result = inputs.Select((t, i) => differentiable[i] ? zeros_like(t) : null).ToArray();
        for (int b = 0; b < Count; b++)
        {
            using var scope = NewDisposeScope();
            using var enable = enable_grad();
            var x = Of(b, inputs).Select((t, i) => differentiable[i] ? t.detach().requires_grad_(true) : t.detach()).ToArray();
            var g = CotangentOf(b, cotangent, offsets, rows);
            var value = Pairing is { } pairing ? pairing(b, x, g) : Evaluate(b, x, true);
            if (!value.requires_grad) continue;
            var wrt = Enumerable.Range(0, inputs.Length).Where(i => differentiable[i]).ToArray();
            var gradients = Gradients.Of([value], wrt.Select(i => x[i]).ToArray(), Pairing is null ? [g] : null, allowUnused: true);
            using var noGrad = no_grad();
            for (int k = 0; k < wrt.Length; k++)
            {
                if (gradients[k] is not { } gradient) continue;
                int i = wrt[k];
                var target = Slices?.Invoke(b, i) is { } s ? result[i]!.narrow(0, s.Start, s.Length) : result[i]!;
                target.add_(gradient, HeldScalars.One);
            }
        }
        return result;
    }

    long[] Offsets(long[] rows)
    {
        var offsets = new long[Count];
        for (int b = 1; b < Count; b++) offsets[b] = offsets[b - 1] + rows[b - 1];
        return offsets;
    }
}

/// <see cref="BlockTerms"/> as one autograd node that keeps only its inputs (O(N)), not the blocks' graphs (O(N²)):
/// the backward pass rebuilds each block, takes its vector–Jacobian product and frees it before the next
/// (recomputation, docs/errors.md "Memory"). When the backward pass is itself differentiated (create_graph: forces
/// trained on, implicit derivatives), the product is again a <see cref="RecomputedBlocks"/> node, so every order of
/// derivative holds one block at a time.
internal sealed class RecomputedBlocks : autograd.SingleTensorFunction<RecomputedBlocks>
{
    public override string Name => nameof(RecomputedBlocks);

    /// f(inputs) through this node.
    public static Tensor Of(BlockTerms terms, params Tensor[] inputs) => apply([terms, .. inputs]);

    /// vars: <see cref="BlockTerms"/>, then the input tensors.
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var terms = (BlockTerms)vars[0];
        var inputs = vars.Skip(1).Cast<Tensor>().ToArray();
        var rows = new long[terms.Count];
        ctx.save_for_backward([.. inputs]);
        ctx.save_data("terms", terms);
        ctx.save_data("differentiable", inputs.Select(t => t.requires_grad).ToArray());
        ctx.save_data("rows", rows);
        return terms.Combine(inputs.Select(t => t.detach()).ToArray(), rows);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
    {
        var inputs = ctx.get_saved_variables().ToArray();
        var differentiable = (bool[])ctx.get_data("differentiable");
        try
        {
            var terms = (BlockTerms)ctx.get_data("terms");
            var rows = (long[])ctx.get_data("rows");
            // Without a graph each block's gradient goes into the rows it read; differentiable in the inputs and the incoming gradient
            // only when the engine builds a graph (create_graph).
            if (!is_grad_enabled())
                return [null!, .. terms.AccumulatedVectorJacobian(differentiable, rows, inputs.Select(t => t.detach()).ToArray(), gradient.detach())
                    .Select(t => t!)];
            var flat = Of(terms.VectorJacobian(differentiable, rows), [.. inputs, gradient]);
            var result = new List<Tensor> { null! };
            long offset = 0;
            foreach (var (input, i) in inputs.Select((t, i) => (t, i)))
            {
                if (!differentiable[i])
                {
                    result.Add(null!);
                    continue;
                }
                result.Add(flat.narrow(0, offset, input.numel()).view(input.shape));
                offset += input.numel();
            }
            return result;
        }
        catch (Exception e)
        {
            // Inside libtorch's backward pass an exception would abort the process: the caller of the gradient throws it
            // (Gradients). No gradient is allocated here.
            Gradients.RecordFailure(e);
            return [null!, .. inputs.Select(_ => (Tensor)null!)];
        }
    }
}
