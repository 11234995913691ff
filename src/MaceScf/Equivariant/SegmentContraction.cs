using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Equivariant;

/// The four slots of the convolution's trilinear segment contraction (<see cref="SegmentContraction"/>): the sums at the
/// receivers S, the node features X, the edge attributes Y and the per-edge weights W.
internal enum ContractionSlot
{
    Sum = 0,
    Node = 1,
    Attr = 2,
    Weight = 3,
}

/// One group of paths of the convolution: input-1 segment rows Row1..Row1+Dim1 of the component-major node features, input-2
/// columns Column2..Column2+Dim2 of the edge attributes, weight paths Path..Path+Paths (group order), and its block of the
/// sums, Offset..Offset + Dim2·Paths·Dim1 (units of channels) laid out [m2, q, m1, c].
internal sealed record ContractionGroup(int Row1, int Dim1, int Column2, int Dim2, int Path, int Paths, int Offset)
{
    /// Channel rows of the sums per m2: Paths·Dim1.
    public int Block => Paths * Dim1;
}

/// The graph of one convolution over edge rows in tile order (<see cref="EdgeTiles"/>; padding rows have zero edge attributes):
/// the rows of every receiver (consecutive: CSR by receiver, from the tiles) and the sender of every row, with the shapes of
/// the operands.
internal sealed class ContractionGraph
{
    public ContractionGraph(ContractionGroup[] groups, int channels, int rows1, int columns2, int paths, long[] sender, long[] tileReceivers,
        int tileSize, long sourceNodes, long targetNodes)
    {
        Groups = groups;
        Channels = channels;
        Rows1 = rows1;
        Columns2 = columns2;
        PathCount = paths;
        SumWidth = groups.Sum(g => g.Dim2 * g.Paths * g.Dim1);
        if (sourceNodes > int.MaxValue || targetNodes > int.MaxValue || sender.LongLength > int.MaxValue)
            throw new ArgumentException($"the convolution kernel takes at most {int.MaxValue} nodes and edge rows");
        if (sender.LongLength != tileReceivers.LongLength * tileSize)
            throw new ArgumentException($"{sender.LongLength} edge rows for {tileReceivers.LongLength} tiles of {tileSize}");
        SourceNodes = (int)sourceNodes;
        TargetNodes = (int)targetNodes;
        int rows = sender.Length;
        Sender = new int[rows];
        RowStart = new int[TargetNodes + 1];
        for (int t = 0; t < tileReceivers.Length; t++)
        {
            long r = tileReceivers[t];
            if (r < 0 || r >= targetNodes || (t > 0 && r < tileReceivers[t - 1]))
                throw new ArgumentException($"tile {t}: receiver {r} is out of order or outside 0..{targetNodes - 1}");
            RowStart[r + 1] += tileSize;
        }
        for (int i = 0; i < TargetNodes; i++) RowStart[i + 1] += RowStart[i];
        for (int e = 0; e < rows; e++)
        {
            long s = sender[e];
            if (s < 0 || s >= sourceNodes) throw new ArgumentException($"edge row {e}: sender {s} outside 0..{sourceNodes - 1}");
            Sender[e] = (int)s;
        }
    }

    public ContractionGroup[] Groups { get; }

    public int Channels { get; }

    /// Component rows of the node features (Σ (2l1+1) over the input-1 segments).
    public int Rows1 { get; }

    /// Columns of the edge attributes.
    public int Columns2 { get; }

    /// Weight paths per edge row.
    public int PathCount { get; }

    /// Width of the sums per node in units of channels: Σ_g Dim2·Paths·Dim1.
    public int SumWidth { get; }

    public int SourceNodes { get; }

    public int TargetNodes { get; }

    public int[] Sender { get; }

    /// Rows of receiver i: RowStart[i]..RowStart[i+1].
    public int[] RowStart { get; }

    /// Shape of the operand in a slot: S [targets, SumWidth·C], X [sources, Rows1·C], Y [rows, Columns2], W [rows, paths·C].
    public long[] Shape(ContractionSlot slot) => slot switch
    {
        ContractionSlot.Sum => [TargetNodes, (long)SumWidth * Channels],
        ContractionSlot.Node => [SourceNodes, (long)Rows1 * Channels],
        ContractionSlot.Attr => [Sender.Length, Columns2],
        _ => [Sender.Length, (long)PathCount * Channels],
    };
}

/// The convolution's trilinear segment contraction over the receiver-sorted edge rows
/// (docs/design.md, "The fused convolution kernel"): the form
/// T(S, X, Y, W) = Σ_i Σ_{e→i} Σ_g S[i, g: m2, q, m1, c] Y[e, m2] X[sender(e), m1, c] W[e, q, c]
/// is linear in each of its four slots, and each mode computes the derivative of T with respect to one slot from the other
/// three: the sums S[i] = Σ_{e→i} Y_e ⊗ (X_s ⊙ W_e) (forward), and, with a cotangent dS in the S slot, the edge attributes' and
/// weights' gradients per edge and the node features' gradient (over the receivers' rows too, into one copy per worker).
/// Every mode is an autograd node whose backward pass is again this contraction (the derivative of ⟨mode, g⟩ with respect to
/// a slot is that slot's mode with g in the mode's own slot), so first and second derivatives (force training's double
/// backward) go through the same kernel. C# over the tensors' data, vectorised over the channels, parallel over nodes with at
/// most torch.get_num_threads() workers; float64 and float32.
internal sealed class SegmentContraction : autograd.SingleTensorFunction<SegmentContraction>
{
    public override string Name => nameof(SegmentContraction);

    /// The mode of <paramref name="slot"/> of the three other operands, in slot order (S, X, Y, W without <paramref name="slot"/>).
    public static Tensor Of(ContractionGraph graph, ContractionSlot slot, Tensor a, Tensor b, Tensor c) => apply(graph, slot, a, b, c);

    /// vars: <see cref="ContractionGraph"/>, <see cref="ContractionSlot"/>, the three operands in slot order.
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var graph = (ContractionGraph)vars[0];
        var slot = (ContractionSlot)vars[1];
        var operands = vars.Skip(2).Cast<Tensor>().ToArray();
        ctx.save_for_backward([.. operands]);
        ctx.save_data("graph", graph);
        ctx.save_data("slot", slot);
        ctx.save_data("differentiable", operands.Select(t => t.requires_grad).ToArray());
        return ContractionKernel.Compute(graph, slot, operands.Select(t => t.detach()).ToArray());
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
    {
        var operands = ctx.get_saved_variables().ToArray();
        try
        {
            var graph = (ContractionGraph)ctx.get_data("graph");
            var slot = (ContractionSlot)ctx.get_data("slot");
            var differentiable = (bool[])ctx.get_data("differentiable");
            var slots = Others(slot);
            var result = new List<Tensor> { null!, null! };
            for (int k = 0; k < 3; k++)
            {
                if (!differentiable[k])
                {
                    result.Add(null!);
                    continue;
                }
                // ⟨mode(slot), g⟩ = T with g in this mode's slot: its derivative in operand k is the mode of k's slot.
                var inputs = Others(slots[k]).Select(s => s == slot ? gradient : operands[Array.IndexOf(slots, s)]).ToArray();
                result.Add(Of(graph, slots[k], inputs[0], inputs[1], inputs[2]));
            }
            return result;
        }
        catch (Exception e)
        {
            // Inside libtorch's backward pass an exception would abort the process: the caller of the gradient throws it
            // (Gradients). No gradient is allocated here.
            Gradients.RecordFailure(e);
            return [null!, null!, .. operands.Select(_ => (Tensor)null!)];
        }
    }

    /// The slots other than <paramref name="slot"/>, in slot order.
    private static ContractionSlot[] Others(ContractionSlot slot) =>
        [.. Enum.GetValues<ContractionSlot>().Where(s => s != slot)];
}

/// The loops of <see cref="SegmentContraction"/> over the tensors' memory.
internal static unsafe class ContractionKernel
{
    [DllImport("LibTorchSharp")]
    private static extern IntPtr THSTensor_data(IntPtr handle);

    /// The mode of <paramref name="slot"/>: operands are the other three slots in slot order, contiguous or not, on the CPU,
    /// all of one floating dtype (float64 or float32).
    public static Tensor Compute(ContractionGraph graph, ContractionSlot slot, Tensor[] operands)
    {
        var dtype = operands[0].dtype;
        if (dtype is not (ScalarType.Float64 or ScalarType.Float32))
            throw new ArgumentException($"the convolution kernel takes float64 or float32, not {dtype}");
        var slots = Enum.GetValues<ContractionSlot>().Where(s => s != slot).ToArray();
        var data = new Tensor[4];
        for (int k = 0; k < 3; k++)
        {
            var t = operands[k];
            if (t.dtype != dtype || t.device_type != DeviceType.CPU)
                throw new ArgumentException($"the convolution kernel's operands must all be {dtype} on the CPU ({slots[k]}: {t.dtype} on {t.device_type})");
            if (!t.shape.SequenceEqual(graph.Shape(slots[k])))
                throw new ArgumentException($"{slots[k]}: shape [{string.Join(", ", t.shape)}], expected [{string.Join(", ", graph.Shape(slots[k]))}]");
            data[(int)slots[k]] = t.contiguous();
        }
        var result = empty(graph.Shape(slot), dtype: dtype);
        data[(int)slot] = result;
        var pointers = data.Select(t => THSTensor_data(t.Handle)).ToArray();
        var options = new ParallelOptions { MaxDegreeOfParallelism = Math.Max(1, get_num_threads()) };
        if (dtype == ScalarType.Float64) Run<double>(graph, slot, pointers, options);
        else Run<float>(graph, slot, pointers, options);
        GC.KeepAlive(data);
        return result;
    }

    private static void Run<T>(ContractionGraph graph, ContractionSlot slot, IntPtr[] p, ParallelOptions options)
        where T : unmanaged, INumber<T>
    {
        int c = graph.Channels, vectorEnd = c - c % Vector<T>.Count;
        switch (slot)
        {
            case ContractionSlot.Sum:
                Parallel.For(0, graph.TargetNodes, options, i =>
                {
                    Zero((T*)p[0] + (long)i * graph.SumWidth * c, (long)graph.SumWidth * c);
                    Receiver<T, SumRow<T>>(graph, i, (T*)p[0], (T*)p[1], (T*)p[2], (T*)p[3], vectorEnd);
                });
                break;
            case ContractionSlot.Node:
                NodeGradient<T>(graph, p, options, vectorEnd);
                break;
            case ContractionSlot.Attr:
                Parallel.For(0, graph.TargetNodes, options, i =>
                {
                    long first = (long)graph.RowStart[i] * graph.Columns2;
                    Zero((T*)p[2] + first, (long)graph.RowStart[i + 1] * graph.Columns2 - first);
                    Receiver<T, AttrRow<T>>(graph, i, (T*)p[0], (T*)p[1], (T*)p[2], (T*)p[3], vectorEnd);
                });
                break;
            default:
                Parallel.For(0, graph.TargetNodes, options, i => Receiver<T, WeightRow<T>>(graph, i, (T*)p[0], (T*)p[1], (T*)p[2], (T*)p[3], vectorEnd));
                break;
        }
    }

    /// dX by receiver: worker k takes the k-th contiguous range of receivers, reads each receiver's cotangent block once for all
    /// its rows and adds into its own copy of dX (worker 0's is the result; the others' are summed into it at the end). Per
    /// sender instead, every edge would read its receiver's whole block from anywhere in dS (17 MB at 512 atoms, 32 channels):
    /// the memory traffic of one block per edge.
    private static void NodeGradient<T>(ContractionGraph graph, IntPtr[] p, ParallelOptions options, int vectorEnd)
        where T : unmanaged, INumber<T>
    {
        long size = (long)graph.SourceNodes * graph.Rows1 * graph.Channels;
        int workers = Math.Max(1, Math.Min(options.MaxDegreeOfParallelism, graph.TargetNodes));
        var copies = new IntPtr[workers];
        copies[0] = p[1];
        try
        {
            for (int k = 1; k < workers; k++) copies[k] = (IntPtr)NativeMemory.Alloc((nuint)size, (nuint)sizeof(T));
            Parallel.For(0, workers, options, k =>
            {
                Zero((T*)copies[k], size);
                for (int i = (int)((long)graph.TargetNodes * k / workers), end = (int)((long)graph.TargetNodes * (k + 1) / workers); i < end; i++)
                    Receiver<T, NodeRow<T>>(graph, i, (T*)p[0], (T*)copies[k], (T*)p[2], (T*)p[3], vectorEnd);
            });
            if (workers > 1)
                Parallel.For(0, graph.SourceNodes, options, j =>
                {
                    long row = (long)graph.Rows1 * graph.Channels;
                    T* target = (T*)copies[0] + j * row;
                    for (int k = 1; k < workers; k++)
                    {
                        T* source = (T*)copies[k] + j * row;
                        for (long u = 0; u < row; u++) target[u] += source[u];
                    }
                });
        }
        finally
        {
            for (int k = 1; k < workers; k++) NativeMemory.Free((void*)copies[k]);
        }
    }

    private static void Zero<T>(T* start, long count) where T : unmanaged, INumber<T>
    {
        for (long k = 0; k < count; k += int.MaxValue) new Span<T>(start + k, (int)Math.Min(int.MaxValue, count - k)).Clear();
    }

    /// Mode <typeparamref name="TM"/> on the rows of receiver i: whole vectors of channels, then the channels after them.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised at the first call, not after tiering (short runs)
    private static void Receiver<T, TM>(ContractionGraph graph, int i, T* s, T* x, T* y, T* w, int vectorEnd)
        where T : unmanaged, INumber<T> where TM : IRowMode<T>
    {
        int c = graph.Channels;
        T* si = s + (long)i * graph.SumWidth * c;
        for (int e = graph.RowStart[i]; e < graph.RowStart[i + 1]; e++)
        {
            T* xe = x + (long)graph.Sender[e] * graph.Rows1 * c, ye = y + (long)e * graph.Columns2, we = w + (long)e * graph.PathCount * c;
            foreach (var g in graph.Groups)
            {
                TM.Row<VectorLanes<T>, Vector<T>>(g, c, si, xe, ye, we, 0, vectorEnd);
                TM.Row<ScalarLanes<T>, T>(g, c, si, xe, ye, we, vectorEnd, c);
            }
        }
    }
}

/// One mode's work on one edge row e and one group g: si the sums (or their cotangent) of its receiver, xe the features of its
/// sender, ye its attributes, we its weights (c channels per row of features, weights and sums); channels c0..c1.
internal unsafe interface IRowMode<T> where T : unmanaged, INumber<T>
{
    static abstract void Row<TL, TV>(ContractionGroup g, int c, T* si, T* xe, T* ye, T* we, int c0, int c1) where TL : ILanes<T, TV>;
}

/// S[i, g: m2, q, m1, c] += Y[e, m2] X[sender(e), m1, c] W[e, q, c].
internal readonly unsafe struct SumRow<T> : IRowMode<T> where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row<TL, TV>(ContractionGroup g, int c, T* si, T* xe, T* ye, T* we, int c0, int c1) where TL : ILanes<T, TV>
    {
        for (int q = 0; q < g.Paths; q++)
            for (int m1 = 0; m1 < g.Dim1; m1++)
            {
                T* xm = xe + (long)(g.Row1 + m1) * c, wq = we + (long)(g.Path + q) * c, target = si + (long)(g.Offset + q * g.Dim1 + m1) * c;
                for (int u = c0; u < c1; u += TL.Width)
                {
                    var product = TL.Multiply(TL.Load(xm + u), TL.Load(wq + u));
                    for (int m2 = 0; m2 < g.Dim2; m2++)
                    {
                        T* at = target + m2 * g.Block * c + u;
                        TL.Store(TL.Add(TL.Load(at), TL.Scale(product, ye[g.Column2 + m2])), at);
                    }
                }
            }
    }
}

/// dX[sender(e), m1, c] += Σ_{q, m2} dS[receiver(e), g: m2, q, m1, c] Y[e, m2] W[e, q, c] (xe: the sender's gradient row).
internal readonly unsafe struct NodeRow<T> : IRowMode<T> where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row<TL, TV>(ContractionGroup g, int c, T* si, T* xe, T* ye, T* we, int c0, int c1) where TL : ILanes<T, TV>
    {
        for (int m1 = 0; m1 < g.Dim1; m1++)
        {
            T* target = xe + (long)(g.Row1 + m1) * c;
            for (int u = c0; u < c1; u += TL.Width)
            {
                var total = TL.Load(target + u);
                for (int q = 0; q < g.Paths; q++)
                    total = TL.Add(total, TL.Multiply(Contracted<TL, TV>(g, c, si + (long)(g.Offset + q * g.Dim1 + m1) * c + u, ye),
                        TL.Load(we + (long)(g.Path + q) * c + u)));
                TL.Store(total, target + u);
            }
        }
    }

    /// Σ_{m2} Y[m2] dS[m2, ...] at <paramref name="source"/> (the m2 blocks g.Block · c apart).
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static TV Contracted<TL, TV>(ContractionGroup g, int c, T* source, T* ye) where TL : ILanes<T, TV>
    {
        var sum = TL.Zero;
        for (int m2 = 0; m2 < g.Dim2; m2++) sum = TL.Add(sum, TL.Scale(TL.Load(source + m2 * g.Block * c), ye[g.Column2 + m2]));
        return sum;
    }
}

/// dY[e, m2] += Σ_{q, m1, c} dS[i, g: m2, q, m1, c] X[sender(e), m1, c] W[e, q, c] (ye: the row's gradient, zeroed by the caller).
internal readonly unsafe struct AttrRow<T> : IRowMode<T> where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row<TL, TV>(ContractionGroup g, int c, T* si, T* xe, T* ye, T* we, int c0, int c1) where TL : ILanes<T, TV>
    {
        if (c0 == c1) return; // no channels after the last whole vector
        for (int m2 = 0; m2 < g.Dim2; m2++)
        {
            var total = TL.Zero;
            for (int q = 0; q < g.Paths; q++)
                for (int m1 = 0; m1 < g.Dim1; m1++)
                {
                    T* source = si + (long)(g.Offset + (m2 * g.Paths + q) * g.Dim1 + m1) * c, xm = xe + (long)(g.Row1 + m1) * c,
                        wq = we + (long)(g.Path + q) * c;
                    for (int u = c0; u < c1; u += TL.Width)
                        total = TL.Add(total, TL.Multiply(TL.Load(source + u), TL.Multiply(TL.Load(xm + u), TL.Load(wq + u))));
                }
            ye[g.Column2 + m2] += TL.Sum(total);
        }
    }
}

/// dW[e, q, c] = Σ_{m1} X[sender(e), m1, c] Σ_{m2} Y[e, m2] dS[i, g: m2, q, m1, c] (we: the row's gradient).
internal readonly unsafe struct WeightRow<T> : IRowMode<T> where T : unmanaged, INumber<T>
{
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Row<TL, TV>(ContractionGroup g, int c, T* si, T* xe, T* ye, T* we, int c0, int c1) where TL : ILanes<T, TV>
    {
        for (int q = 0; q < g.Paths; q++)
            for (int u = c0; u < c1; u += TL.Width)
            {
                var total = TL.Zero;
                for (int m1 = 0; m1 < g.Dim1; m1++)
                    total = TL.Add(total, TL.Multiply(NodeRow<T>.Contracted<TL, TV>(g, c, si + (long)(g.Offset + q * g.Dim1 + m1) * c + u, ye),
                        TL.Load(xe + (long)(g.Row1 + m1) * c + u)));
                TL.Store(total, we + (long)(g.Path + q) * c + u);
            }
    }
}

/// Arithmetic on a run of Width channels: one <see cref="Vector{T}"/> or one scalar (the channels after the last whole vector).
internal unsafe interface ILanes<T, TV> where T : unmanaged
{
    static abstract int Width { get; }

    static abstract TV Zero { get; }

    static abstract TV Load(T* p);

    static abstract void Store(TV v, T* p);

    static abstract TV Add(TV a, TV b);

    static abstract TV Multiply(TV a, TV b);

    static abstract TV Scale(TV a, T b);

    static abstract T Sum(TV a);
}

internal readonly unsafe struct VectorLanes<T> : ILanes<T, Vector<T>> where T : unmanaged, INumber<T>
{
    public static int Width => Vector<T>.Count;

    public static Vector<T> Zero => Vector<T>.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Load(T* p) => Vector.Load(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(Vector<T> v, T* p) => v.Store(p);

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Add(Vector<T> a, Vector<T> b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Multiply(Vector<T> a, Vector<T> b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector<T> Scale(Vector<T> a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(Vector<T> a) => Vector.Sum(a);
}

internal readonly unsafe struct ScalarLanes<T> : ILanes<T, T> where T : unmanaged, INumber<T>
{
    public static int Width => 1;

    public static T Zero => T.Zero;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Load(T* p) => *p;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(T v, T* p) => *p = v;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Add(T a, T b) => a + b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Multiply(T a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Scale(T a, T b) => a * b;

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static T Sum(T a) => a;
}
