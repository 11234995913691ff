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

    /// <param name="atomicBasis">[N, C, Σ(2l+1)] (channel-major A)</param>
    /// <param name="nodeAttrs">[N, Z] one-hot elements</param>
    /// <param name="selfConnection">[N, TargetIrreps.Dim] residual from the interaction block, used when UseSelfConnection</param>
    /// <returns>[N, TargetIrreps.Dim] (mul_ir)</returns>
    public Tensor forward(Tensor atomicBasis, Tensor nodeAttrs, Tensor? selfConnection)
    {
        using var scope = NewDisposeScope();
        var h = _linear.forward(_contraction.forward(atomicBasis, nodeAttrs));
        if (UseSelfConnection)
            h = h + (selfConnection ?? throw new ArgumentNullException(nameof(selfConnection), "This product block needs the residual."));
        return h.MoveToOuterDisposeScope();
    }
}
