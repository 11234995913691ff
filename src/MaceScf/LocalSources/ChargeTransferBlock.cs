using MaceScf.Equivariant;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.LocalSources;

/// One layer's charge transfers of LocalSplitCharges (docs/math.md, "Local-source models"): the node features h are scaled
/// channel by channel by a function of the formal charge q⁰ (a linear map, with bias, of the Chebyshev polynomials T_1…T_8 of
/// q⁰ mapped from [−4, 4] to [−1, 1]), then every directed edge e = (s → r) carries the transfer
/// τ_e = Linear(TP(Linear₁(h)_s + Linear₂(h)_r, Y(r_e); MLP(R(r_e))) → 0e) / 40, and atom i gains Σ_{e: r=i} τ_e − Σ_{e: s=i} τ_e,
/// so the transfers add no net charge. The dipoles (and quadrupoles) are a linear readout of the scaled features.
internal sealed class ChargeTransferBlock : nn.Module
{
    /// Chebyshev polynomials of the oxidation-state embedding.
    const int OxidationBasis = 8;

    /// Formal charges mapped onto [−1, 1] of the Chebyshev basis.
    const double OxidationMin = -4.0, OxidationMax = 4.0;

    /// Divisor of the edge transfers, keeping the initial transfers small.
    const double TransferScale = 40.0;

    private readonly Linear _oxidation;
    private readonly EquivariantLinear _senderLinear, _receiverLinear, _transferLinear;
    private readonly EquivariantLinear? _multipoles;
    private readonly ChannelwiseTensorProduct _bondProduct;
    private readonly FullyConnectedNet _bondWeights;
    private readonly Tensor _channelOfColumn;

    /// <param name="nodeIrreps">irreps of the layer's node features (uniform multiplicity)</param>
    /// <param name="edgeAttrsIrreps">irreps of the edge spherical harmonics</param>
    /// <param name="radialDim">number of radial edge features</param>
    /// <param name="charges">irreps of the density coefficients 0e+1o(+2e)</param>
    /// <param name="dtype">floating-point type of the parameters</param>
    public ChargeTransferBlock(Irreps nodeIrreps, Irreps edgeAttrsIrreps, int radialDim, Irreps charges, ScalarType dtype = ScalarType.Float64)
        : base(nameof(ChargeTransferBlock))
    {
        _oxidation = nn.Linear(OxidationBasis, nodeIrreps.NumIrreps, hasBias: true, dtype: dtype);
        _senderLinear = new EquivariantLinear(nodeIrreps, nodeIrreps, dtype);
        _receiverLinear = new EquivariantLinear(nodeIrreps, nodeIrreps, dtype);
        _bondProduct = new ChannelwiseTensorProduct(nodeIrreps, edgeAttrsIrreps, "0e");
        _bondWeights = new FullyConnectedNet([radialDim, 32, 32, 32, _bondProduct.WeightNumel], NormalizedActivation.Silu(), dtype);
        _transferLinear = new EquivariantLinear(_bondProduct.IrrepsOut, "1x0e", dtype);
        var higher = new Irreps(charges.Segments.Skip(1));
        if (higher.Count > 0) _multipoles = new EquivariantLinear(nodeIrreps, higher, dtype);
        // Column c of the features (mul_ir layout) belongs to channel _channelOfColumn[c] of the per-channel scales.
        var columns = new List<long>();
        int channel = 0;
        foreach (var s in nodeIrreps.Segments)
        {
            for (int u = 0; u < s.Mul; u++)
                columns.AddRange(Enumerable.Repeat((long)(channel + u), s.Ir.Dim));
            channel += s.Mul;
        }
        _channelOfColumn = tensor(columns.ToArray());
        register_module("oxidation", _oxidation);
        register_module("linear_1", _senderLinear);
        register_module("linear_2", _receiverLinear);
        register_module("conv_tp", _bondProduct);
        register_module("conv_tp_weights", _bondWeights);
        register_module("linear", _transferLinear);
        if (_multipoles is not null) register_module("multipole_block", _multipoles);
        register_buffer("channel_of_column", _channelOfColumn, persistent: false);
    }

    /// (multipoles [N, K] with the transferred charge in column 0, transfers τ [E]).
    /// <param name="h">[N, nodeIrreps.Dim] node features of the layer</param>
    /// <param name="formalCharges">[N] q⁰</param>
    /// <param name="edgeAttrs">[E, edgeAttrsIrreps.Dim]</param>
    /// <param name="edgeFeats">[E, radialDim]</param>
    /// <param name="sender">[E] sender s of every edge</param>
    /// <param name="receiver">[E] receiver r of every edge</param>
    public (Tensor Multipoles, Tensor Transfers) forward(Tensor h, Tensor formalCharges, Tensor edgeAttrs, Tensor edgeFeats, Tensor sender, Tensor receiver)
    {
        using var scope = NewDisposeScope();
        var x = formalCharges.Minus(OxidationMin).Times(2.0 / (OxidationMax - OxidationMin)).Minus(1.0).unsqueeze(1);
        var scaled = h * _oxidation.forward(Chebyshev(x)).index_select(1, _channelOfColumn);
        var bond = _senderLinear.forward(scaled).index_select(0, sender).Plus(_receiverLinear.forward(scaled).index_select(0, receiver));
        var messages = _bondProduct.forward(bond, edgeAttrs, _bondWeights.forward(edgeFeats));
        var transfers = _transferLinear.forward(messages).squeeze(1).DividedBy(TransferScale);
        using Scalar gain = 1.0.ToScalar(), loss = (-1.0).ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var charges = zeros(h.shape[0], dtype: h.dtype, device: h.device).index_add(0, receiver, transfers, gain)
            .index_add(0, sender, transfers, loss).unsqueeze(1);
        var multipoles = _multipoles is null ? charges : cat([charges, _multipoles.forward(scaled)], 1);
        return (multipoles.MoveToOuterDisposeScope(), transfers.MoveToOuterDisposeScope());
    }

    /// [N, 1] → [N, 8]: T_1(x) … T_8(x) by the recurrence T_{n+1} = 2x T_n − T_{n−1}.
    static Tensor Chebyshev(Tensor x)
    {
        var t = new List<Tensor> { ones_like(x), x };
        for (int n = 2; n <= OxidationBasis; n++) t.Add(x.Times(2) * t[n - 1] - t[n - 2]);
        return cat(t.Skip(1).ToArray(), 1);
    }
}
