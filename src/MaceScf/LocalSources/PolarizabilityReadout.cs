using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.LocalSources;

/// One layer's local polarizability readout of LocalSplitCharges with compute_polarizability
/// (docs/math.md, "Local-source models"): a linear map of the node features to a scalar a_i and two vectors u_i, v_i, and the symmetric
/// α_i = a_i I + ½ (u_i v_iᵀ + v_i u_iᵀ) (e·Å²/V): its 0e part is (a_i + u_i·v_i/3) I, its 2e part the traceless symmetric part
/// of u_i v_iᵀ, so α_i → R α_i Rᵀ under a rotation R and the node features need no l = 2 channels. Any symmetric 3×3 has this form.
internal sealed class PolarizabilityReadout : nn.Module
{
    /// Columns (y, z, x) of a 1o block to Cartesian (x, y, z).
    static readonly long[] Cartesian = [2, 0, 1];

    private readonly EquivariantLinear _linear;

    /// <param name="nodeIrreps">irreps of the layer's node features (they must hold 1o channels)</param>
    /// <param name="dtype">floating-point type of the parameters</param>
    public PolarizabilityReadout(Irreps nodeIrreps, ScalarType dtype = ScalarType.Float64) : base(nameof(PolarizabilityReadout))
    {
        _linear = new EquivariantLinear(nodeIrreps, "1x0e+2x1o", dtype);
        register_module("linear", _linear);
    }

    /// [N, 3, 3] α_i of the node features h [N, nodeIrreps.Dim].
    public Tensor forward(Tensor h)
    {
        using var scope = NewDisposeScope();
        var o = _linear.forward(h);
        using var order = tensor(Cartesian, device: h.device);
        var u = o[.., 1..4].index_select(1, order);
        var v = o[.., 4..7].index_select(1, order);
        var outer = u.unsqueeze(2) * v.unsqueeze(1);
        var isotropic = o[.., 0].view(-1, 1, 1) * eye(3, dtype: h.dtype, device: h.device);
        return isotropic.Plus(outer.Plus(outer.transpose(1, 2)).Times(0.5)).MoveToOuterDisposeScope();
    }
}
