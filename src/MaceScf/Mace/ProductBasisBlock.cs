using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// MACE's EquivariantProductBasisBlock: h_new = Linear(SymmetricContraction(A, one-hot)) (+ sc when use_sc)
/// (docs/math.md, "The MACE backbone").
internal sealed class ProductBasisBlock : nn.Module
{
    private readonly SymmetricContraction _contraction;
    private readonly EquivariantLinear _linear;

    public ProductBasisBlock(Irreps atomicBasisIrreps, Irreps targetIrreps, int correlation, int numElements, bool useSelfConnection,
        ScalarType dtype = ScalarType.Float64) : base(nameof(ProductBasisBlock))
    {
        TargetIrreps = targetIrreps;
        UseSelfConnection = useSelfConnection;
        _contraction = new SymmetricContraction(atomicBasisIrreps, targetIrreps, correlation, numElements, dtype);
        _linear = new EquivariantLinear(targetIrreps, targetIrreps, dtype);
        register_module("symmetric_contractions", _contraction);
        register_module("linear", _linear);
    }

    public Irreps TargetIrreps { get; }

    public bool UseSelfConnection { get; }

    internal SymmetricContraction Contraction => _contraction;

    /// Numbers the whole symmetric contraction keeps per node on the autograd graph: every monomial of A of every channel
    /// (<see cref="BackboneMemory"/>).
    internal long GraphNumbersPerNode => (long)IrrepsLayout.RequireUniform(_contraction.IrrepsIn) * _contraction.MonomialCounts.Sum();

    /// <param name="atomicBasis">[N, C, Σ(2l+1)] (channel-major A)</param>
    /// <param name="nodeAttrs">[N, Z] one-hot elements</param>
    /// <param name="selfConnection">[N, TargetIrreps.Dim] residual from the interaction block, used when UseSelfConnection</param>
    /// <param name="nodeChunk">most nodes per block of the recomputed symmetric contraction (null: all nodes at once); see
    /// <see cref="MaceModel.EdgeChunkSize"/></param>
    /// <returns>[N, TargetIrreps.Dim] (mul_ir)</returns>
    public Tensor forward(Tensor atomicBasis, Tensor nodeAttrs, Tensor? selfConnection, int? nodeChunk = null)
    {
        using var scope = NewDisposeScope();
        var contracted = nodeChunk is int chunk && atomicBasis.shape[0] > chunk
            ? ChunkedContraction(atomicBasis, nodeAttrs, chunk)
            : _contraction.forward(atomicBasis, nodeAttrs);
        var h = _linear.forward(contracted);
        if (UseSelfConnection)
            h = h.Plus(selfConnection ?? throw new ArgumentNullException(nameof(selfConnection), "This product block needs the residual."));
        return h.MoveToOuterDisposeScope();
    }

    /// The symmetric contraction in blocks of <paramref name="chunk"/> nodes, as one recomputed autograd node: the graph keeps only
    /// its inputs (A, the elements and the weights' coupling coefficients: O(N)), not the monomials of every node (O(N × C × the
    /// monomial count), the bulk of the backbone's graph); every backward pass rebuilds one block at a time (docs/benchmarks.md,
    /// "Whole fixed-point model"). Each node's contraction depends on that node alone, so the blocks equal the whole contraction;
    /// the coefficients are computed from the weights on the graph outside the node, so parameter gradients (and their
    /// derivatives, for a force loss) flow as without blocks.
    private Tensor ChunkedContraction(Tensor atomicBasis, Tensor nodeAttrs, int chunk)
    {
        long n = atomicBasis.shape[0];
        int count = (int)((n + chunk - 1) / chunk);
        var (element, elements, coefficients) = _contraction.Prepare(nodeAttrs);
        // Block b reads its nodes' rows of A and of the elements (inputs 0 and 1), and all of the coefficients.
        var terms = new BlockTerms(count, Concatenated: true, (b, x, _) => _contraction.Contract(x[0], x[1], elements, x[2]),
            Slices: (b, input) => input < 2 ? ((long)b * chunk, Math.Min(chunk, n - (long)b * chunk)) : null);
        return RecomputedBlocks.Of(terms, [atomicBasis, element, coefficients]);
    }
}
