using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// The names accepted by --interaction and --interaction_first.
internal static class InteractionKinds
{
    public const string Residual = "RealAgnosticResidualInteractionBlock";
    public const string NonResidual = "RealAgnosticInteractionBlock";

    public static bool IsKnown(string name) => name is Residual or NonResidual;
}

/// Result of an interaction block: the atomic basis A [N, C, Σ(2l+1)] (channel-major, MACE's reshape_irreps of the
/// interaction irreps) and the residual self-connection [N, hidden_out.Dim] (mul_ir), or null.
internal sealed record InteractionResult(Tensor AtomicBasis, Tensor? SelfConnection);

/// Common part of MACE's RealAgnostic interaction blocks (docs/math.md, "The MACE backbone"):
/// h' = Linear(h); per edge e = (s → r), m_e = conv_tp(h'_s, Y_e; w_e) with w_e = RadialMLP(edge_feats_e);
/// M_r = Σ_{e → r} m_e; message = Linear(M) / avg_num_neighbors.
internal abstract class InteractionBlock : nn.Module
{
    private readonly EquivariantLinear _linearUp;
    private readonly ChannelwiseTensorProduct _convTp;
    private readonly FullyConnectedNet _convTpWeights;
    private readonly EquivariantLinear _linear;

    protected InteractionBlock(string name, Irreps nodeFeatsIrreps, Irreps edgeAttrsIrreps, Irreps targetIrreps, int numEdgeFeats,
        IReadOnlyList<int> radialMlp, double avgNumNeighbors, ScalarType dtype) : base(name)
    {
        if (avgNumNeighbors <= 0) throw new ArgumentOutOfRangeException(nameof(avgNumNeighbors));
        NodeFeatsIrreps = nodeFeatsIrreps;
        TargetIrreps = targetIrreps;
        AvgNumNeighbors = avgNumNeighbors;
        _linearUp = new EquivariantLinear(nodeFeatsIrreps, nodeFeatsIrreps, dtype);
        _convTp = new ChannelwiseTensorProduct(nodeFeatsIrreps, edgeAttrsIrreps, targetIrreps);
        _convTpWeights = new FullyConnectedNet([numEdgeFeats, .. radialMlp, _convTp.WeightNumel], NormalizedActivation.Silu(), dtype);
        _linear = new EquivariantLinear(_convTp.IrrepsOut, targetIrreps, dtype);
        register_module("linear_up", _linearUp);
        register_module("conv_tp", _convTp);
        register_module("conv_tp_weights", _convTpWeights);
        register_module("linear", _linear);
    }

    public Irreps NodeFeatsIrreps { get; }

    /// Irreps of the atomic basis A (e.g. Cx0e+Cx1o+Cx2e+Cx3o).
    public Irreps TargetIrreps { get; }

    public double AvgNumNeighbors { get; }

    /// Outputs of the radial MLP per edge (paths × channels).
    public int RadialWeightNumel => _convTp.WeightNumel;

    /// Numbers per edge of the whole graph estimate (<see cref="BackboneMemory.GraphBytes"/>): the radial MLP's weights of the tensor
    /// product and the size of the edge's message, the count its fit to measured peaks was made with.
    internal long GraphNumbersPerEdge => _convTp.WeightNumel + _convTp.IrrepsOut.Dim;

    /// Numbers the convolution keeps on the autograd graph per tiled edge row (<see cref="EdgeTiles"/>): the edge attributes and the
    /// radial MLP's weights of the tensor product, the operands <see cref="ChannelwiseTensorProduct.ConvolveTiles"/> keeps
    /// (<see cref="BackboneMemory.ConvolutionBytes(MaceModel, long, long, bool)"/>).
    internal long ConvolutionNumbersPerRow => _convTp.SavedNumbersPerRow;

    /// <param name="nodeFeats">[N, NodeFeatsIrreps.Dim]</param>
    /// <param name="nodeAttrs">[N, Z] one-hot elements</param>
    /// <param name="edgeAttrs">[E, (max_ell+1)²] spherical harmonics of the edge vectors</param>
    /// <param name="edgeFeats">[E, num_bessel] radial features, or [P, num_bessel] per pair of edges with the same length</param>
    /// <param name="sender">[E] (long)</param>
    /// <param name="receiver">[E] (long)</param>
    /// <param name="edgeRows">[E] (long) row of <paramref name="edgeFeats"/> of every edge (<see cref="EdgePairs.PairOf"/>), or
    /// null for one row per edge</param>
    /// <param name="edgeChunk">most edges per block of the edge-chunked convolution (null: all edges at once); see
    /// <see cref="MaceModel.EdgeChunkSize"/></param>
    public abstract InteractionResult forward(Tensor nodeFeats, Tensor nodeAttrs, Tensor edgeAttrs, Tensor edgeFeats, Tensor sender,
        Tensor receiver, Tensor? edgeRows = null, int? edgeChunk = null);

    /// The normalised aggregated message [N, TargetIrreps.Dim] (mul_ir).
    protected Tensor Message(Tensor nodeFeats, Tensor edgeAttrs, Tensor edgeFeats, Tensor sender, Tensor receiver, Tensor? edgeRows,
        int? edgeChunk)
    {
        using var scope = NewDisposeScope();
        var up = _linearUp.forward(nodeFeats);
        var summed = edgeChunk is int chunk && sender.shape[0] > chunk
            ? ChunkedConvolution(up, edgeAttrs, edgeRows is null ? edgeFeats : edgeFeats.index_select(0, edgeRows), sender, receiver, chunk)
            : _convTp.Convolve(up, edgeAttrs, edgeFeats, _convTpWeights, sender, receiver, nodeFeats.shape[0], edgeRows);
        return _linear.forward(summed).DividedBy(AvgNumNeighbors).MoveToOuterDisposeScope();
    }

    /// The convolution summed over blocks of <paramref name="chunk"/> edges, as one recomputed autograd node: the graph keeps
    /// only the inputs (node features, edge attributes and features, radial-MLP weights: O(N + E)), not the per-edge
    /// weights and messages (O(E × paths × C)); every backward pass rebuilds one block at a time (docs/benchmarks.md,
    /// "Backbone speed and memory"). Equal to the unchunked sum up to the order of the additions.
    private Tensor ChunkedConvolution(Tensor up, Tensor edgeAttrs, Tensor edgeFeats, Tensor sender, Tensor receiver, int chunk)
    {
        long nodes = up.shape[0];
        using var tiles = EdgeTiles.Build(receiver, nodes);
        long tileCount = tiles.Receivers.shape[0], perBlock = Math.Max(1, chunk / EdgeTiles.Size);
        int count = (int)Math.Max(1, (tileCount + perBlock - 1) / perBlock), mlpLayers = _convTpWeights.Weights.Count;
        // Block b reads its tiles' rows of the padded edge attributes, features and senders (inputs 1–3) and of the tiles' receivers
        // (input 4), and all of the node features and MLP weights.
        (long Start, long Length)? Slice(int b, int input)
        {
            long first = b * perBlock, length = Math.Min(perBlock, tileCount - first);
            return input switch
            {
                1 or 2 or 3 => (first * EdgeTiles.Size, length * EdgeTiles.Size),
                4 => (first, length),
                _ => null,
            };
        }
        // The tiles come in the order of their receivers, so block b's messages go to a range of nodes (adjacent blocks may share
        // one): the block sums into those rows only.
        var bounds = tiles.Receivers.index_select(0, torch.tensor(Enumerable.Range(0, count)
            .SelectMany(b => new[] { b * perBlock, Math.Min((b + 1) * perBlock, tileCount) - 1 }).ToArray())).data<long>().ToArray();
        (long Start, long Length) Receivers(int b) => (bounds[2 * b], bounds[2 * b + 1] - bounds[2 * b] + 1);
        var terms = new BlockTerms(count, Concatenated: false, (b, x, _) =>
        {
            var weights = _convTpWeights.Apply(x[2], _convTp.GroupedWeights(x[5..(5 + mlpLayers)]));
            var (first, length) = Receivers(b);
            return _convTp.ConvolveTiles(x[0], x[1], weights, x[3], x[4].Plus(-first), length);
        }, Slices: Slice, Placed: (Receivers, nodes));
        return RecomputedBlocks.Of(terms, [up, tiles.Pad(edgeAttrs), tiles.Pad(edgeFeats), tiles.Pad(sender), tiles.Receivers, .. _convTpWeights.Weights]);
    }
}

/// MACE's RealAgnosticInteractionBlock (non-residual; the first layer of --model MACE): the message goes through an
/// element-dependent linear map skip_tp(message, one-hot) (FullyConnectedTensorProduct target ⊗ Zx0e → target); no
/// residual.
internal sealed class RealAgnosticInteractionBlock : InteractionBlock
{
    private readonly FullyConnectedTensorProduct _skipTp;

    public RealAgnosticInteractionBlock(Irreps nodeFeatsIrreps, Irreps edgeAttrsIrreps, Irreps targetIrreps, int numElements,
        int numEdgeFeats, IReadOnlyList<int> radialMlp, double avgNumNeighbors, ScalarType dtype = ScalarType.Float64)
        : base(nameof(RealAgnosticInteractionBlock), nodeFeatsIrreps, edgeAttrsIrreps, targetIrreps, numEdgeFeats, radialMlp,
            avgNumNeighbors, dtype)
    {
        _skipTp = new FullyConnectedTensorProduct(targetIrreps, new Irreps([new MulIrrep(numElements, new Irrep(0, 1))]), targetIrreps, dtype);
        register_module("skip_tp", _skipTp);
    }

    public override InteractionResult forward(Tensor nodeFeats, Tensor nodeAttrs, Tensor edgeAttrs, Tensor edgeFeats, Tensor sender,
        Tensor receiver, Tensor? edgeRows = null, int? edgeChunk = null)
    {
        using var scope = NewDisposeScope();
        var message = _skipTp.forward(Message(nodeFeats, edgeAttrs, edgeFeats, sender, receiver, edgeRows, edgeChunk), nodeAttrs);
        return new InteractionResult(IrrepsLayout.ToChannelMajor(message, TargetIrreps).MoveToOuterDisposeScope(), null);
    }
}

/// MACE's RealAgnosticResidualInteractionBlock: the residual sc = skip_tp(h, one-hot) (FullyConnectedTensorProduct
/// node_feats ⊗ Zx0e → hidden_out) is computed on the block input and returned beside the message.
internal sealed class RealAgnosticResidualInteractionBlock : InteractionBlock
{
    private readonly FullyConnectedTensorProduct _skipTp;

    public RealAgnosticResidualInteractionBlock(Irreps nodeFeatsIrreps, Irreps edgeAttrsIrreps, Irreps targetIrreps, Irreps hiddenIrrepsOut,
        int numElements, int numEdgeFeats, IReadOnlyList<int> radialMlp, double avgNumNeighbors, ScalarType dtype = ScalarType.Float64)
        : base(nameof(RealAgnosticResidualInteractionBlock), nodeFeatsIrreps, edgeAttrsIrreps, targetIrreps, numEdgeFeats, radialMlp,
            avgNumNeighbors, dtype)
    {
        _skipTp = new FullyConnectedTensorProduct(nodeFeatsIrreps, new Irreps([new MulIrrep(numElements, new Irrep(0, 1))]), hiddenIrrepsOut, dtype);
        register_module("skip_tp", _skipTp);
    }

    public override InteractionResult forward(Tensor nodeFeats, Tensor nodeAttrs, Tensor edgeAttrs, Tensor edgeFeats, Tensor sender,
        Tensor receiver, Tensor? edgeRows = null, int? edgeChunk = null)
    {
        using var scope = NewDisposeScope();
        var selfConnection = _skipTp.forward(nodeFeats, nodeAttrs);
        var message = Message(nodeFeats, edgeAttrs, edgeFeats, sender, receiver, edgeRows, edgeChunk);
        return new InteractionResult(IrrepsLayout.ToChannelMajor(message, TargetIrreps).MoveToOuterDisposeScope(),
            selfConnection.MoveToOuterDisposeScope());
    }
}
