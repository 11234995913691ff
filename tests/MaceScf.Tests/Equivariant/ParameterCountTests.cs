using MaceScf.Equivariant;

namespace MaceScf.Tests.Equivariant;

/// The blocks' parameter shapes reproduce the published MACE-MP-0 "small" size (89 elements, 10 Bessel functions,
/// 128x0e hidden, max_ell 3, correlation 3, two residual interactions, radial MLP [64,64,64], readout MLP 16x0e).
public class ParameterCountTests
{
    [Fact]
    public void MaceMpSmallHas3847696Parameters()
    {
        const int z = 89, c = 128;
        Irreps hidden = $"{c}x0e", sh = Irreps.SphericalHarmonics(3), target = sh.WithMultiplicity(c);
        var silu = NormalizedActivation.Silu();
        long count = new EquivariantLinear($"{z}x0e", hidden).WeightNumel;
        for (int layer = 0; layer < 2; layer++)
        {
            var conv = new ChannelwiseTensorProduct(hidden, sh, target);
            count += new EquivariantLinear(hidden, hidden).WeightNumel;
            count += new FullyConnectedNet([10, 64, 64, 64, conv.WeightNumel], silu).parameters().Sum(p => p.numel());
            count += new EquivariantLinear(conv.IrrepsOut, target).WeightNumel;
            count += new FullyConnectedTensorProduct(hidden, $"{z}x0e", hidden).WeightNumel;
            count += new SymmetricContraction(target, hidden, correlation: 3, numElements: z).parameters().Sum(p => p.numel());
            count += new EquivariantLinear(hidden, hidden).WeightNumel;
        }
        count += new EquivariantLinear(hidden, "1x0e").WeightNumel;
        count += new EquivariantLinear(hidden, "16x0e").WeightNumel + new EquivariantLinear("16x0e", "1x0e").WeightNumel;
        Assert.Equal(3_847_696, count);
    }
}
