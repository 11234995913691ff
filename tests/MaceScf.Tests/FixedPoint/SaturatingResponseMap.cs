using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// A map whose charges saturate: F(p, μ)_i0 = q_s tanh(F_inner(p, μ)_i0 / q_s), other components unchanged. A response
/// that is not linear in V̂ (as with an MLP non-linearity): ∂Q/∂μ falls off far from the charges of the linear map.
internal sealed class SaturatingResponseMap(IFixedPointMap inner, double saturation) : IFixedPointMap
{
    public Tensor LocalDensity => inner.LocalDensity;
    public Tensor Batch => inner.Batch;
    public int NumGraphs => inner.NumGraphs;

    public Tensor Features(Tensor density, Tensor fermiLevel) => inner.Features(density, fermiLevel);

    public ScfStep Step(Tensor density, Tensor fermiLevel)
    {
        var step = inner.Step(density, fermiLevel);
        var charge = ((inner.LocalDensity[.., 0].Plus(step.Update[.., 0])).DividedBy(saturation)).tanh().Times(saturation) - inner.LocalDensity[.., 0];
        return step with { Update = cat([charge.unsqueeze(1), step.Update[.., 1..]], 1) };
    }
}
