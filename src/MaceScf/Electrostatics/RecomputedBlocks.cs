using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// A sum over pair blocks f(x) = ⊕_b f_b(x): the blocks' results concatenated along the first dimension (rows of the
/// receivers of each block) or summed. <see cref="Evaluate"/> gives f_b of the inputs, differentiable in them when grad
/// mode is on; its last argument says that its result will be differentiated again (second derivatives).
/// <see cref="Pairing"/>, when given, is the scalar ⟨f_b(x), g⟩ for a cotangent g of the whole result (summed terms), differentiable
/// in x and g: the vector–Jacobian products differentiate it instead of f_b, so a block whose result is much larger than its
/// inputs (the PME spreading: a whole grid per block) is never built under autograd.
internal sealed record BlockTerms(int Count, bool Concatenated, Func<int, Tensor[], bool, Tensor> Evaluate,
    Func<int, Tensor[], Tensor, Tensor>? Pairing = null)
{
    /// The blocks' results, each block freed before the next is built.
    public Tensor Combine(Tensor[] inputs, long[] rows)
    {
        Tensor? total = null;
        var parts = new List<Tensor>();
        for (int b = 0; b < Count; b++)
        {
            using (var scope = NewDisposeScope())
            {
                var part = Evaluate(b, inputs, false).detach();
                rows[b] = part.dim() == 0 ? 1 : part.shape[0];
                if (Concatenated) parts.Add(part.MoveToOuterDisposeScope());
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
        var offsets = new long[Count];
        for (int b = 1; b < Count; b++) offsets[b] = offsets[b - 1] + rows[b - 1];
        var wrt = Enumerable.Range(0, differentiable.Length).Where(i => differentiable[i]).ToArray();
        return new BlockTerms(Count, Concatenated: false, (b, inputs, graph) =>
        {
            var cotangent = inputs[^1];
            using var enable = enable_grad();
            var x = inputs[..^1].Select((t, i) => differentiable[i] && !t.requires_grad ? t.detach().requires_grad_(true) : t).ToArray();
            var g = Concatenated ? cotangent.narrow(0, offsets[b], rows[b]) : cotangent;
            var value = Pairing is { } pairing ? pairing(b, x, g) : Evaluate(b, x, true);
            var gradients = value.requires_grad
                ? Gradients.Of([value], wrt.Select(i => x[i]).ToArray(), Pairing is null ? [g] : null, createGraph: graph, allowUnused: true)
                : new Tensor[wrt.Length];
            return cat(wrt.Select((i, k) => (gradients[k] ?? zeros_like(x[i])).flatten()).ToArray(), 0);
        });
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
            var product = ((BlockTerms)ctx.get_data("terms")).VectorJacobian(differentiable, (long[])ctx.get_data("rows"));
            // Differentiable in the inputs and the incoming gradient only when the engine builds a graph (create_graph).
            var flat = is_grad_enabled()
                ? Of(product, [.. inputs, gradient])
                : product.Combine([.. inputs.Select(t => t.detach()), gradient.detach()], new long[product.Count]);
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
