using MaceScf.Equivariant;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

/// Modules converted with .to(float32) keep their parameters and convert their precomputed coefficients.
public class DtypeTests
{
    [Fact]
    public void Float32CopiesAgreeWithFloat64()
    {
        using var scope = NewDisposeScope();
        Irreps a = "2x0e+2x1o+2x2e+2x3o";
        var linear = new EquivariantLinear(a, a);
        var sc = new SymmetricContraction(a, "2x0e+2x1o", correlation: 3, numElements: 2);
        var tp = new FullyConnectedTensorProduct("2x0e+2x1o", "2x0e", "2x0e+2x1o");
        var x = Reference.Randn([3, a.Dim], 90);
        var attrs = nn.functional.one_hot(tensor(new long[] { 0, 1, 1 }), 2).to_type(ScalarType.Float64);
        var y64 = sc.forward(IrrepsLayout.ToChannelMajor(linear.forward(x), a), attrs);
        var z64 = tp.forward(y64, attrs);
        linear.to(ScalarType.Float32);
        sc.to(ScalarType.Float32);
        tp.to(ScalarType.Float32);
        Assert.All(sc.parameters().Concat(linear.parameters()).Concat(tp.parameters()), p => Assert.Equal(ScalarType.Float32, p.dtype));
        var x32 = x.to_type(ScalarType.Float32);
        var attrs32 = attrs.to_type(ScalarType.Float32);
        var y32 = sc.forward(IrrepsLayout.ToChannelMajor(linear.forward(x32), a), attrs32);
        var z32 = tp.forward(y32, attrs32);
        Assert.Equal(ScalarType.Float32, z32.dtype);
        Assert.True(Reference.MaxDiff(z32.to_type(ScalarType.Float64), z64) < 1e-4 * (1 + Reference.MaxAbs(z64)));
    }
}
