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

/// Modules built inside a dispose scope keep their parameters and coefficients after the scope ends.
public class ModuleLifetimeTests
{
    [Fact]
    public void ModulesOutliveTheScopeTheyWereBuiltIn()
    {
        EquivariantLinear linear;
        SymmetricContraction sc;
        ChannelwiseTensorProduct tp;
        FullyConnectedNet net;
        using (NewDisposeScope())
        {
            linear = new EquivariantLinear("2x0e+2x1o", "2x0e+2x1o");
            sc = new SymmetricContraction("2x0e+2x1o", "2x0e", correlation: 2, numElements: 1);
            tp = new ChannelwiseTensorProduct("2x0e+2x1o", "0e+1o", "2x0e+2x1o");
            net = new FullyConnectedNet([3, 4, 2], NormalizedActivation.Silu());
        }
        using var scope = NewDisposeScope();
        var x = Reference.Randn([3, 8], 95);
        var y = linear.forward(x);
        var b = sc.forward(IrrepsLayout.ToChannelMajor(y, "2x0e+2x1o"), ones(3, 1, dtype: ScalarType.Float64));
        var m = tp.forward(y, Reference.Randn([3, 4], 96), net.forward(Reference.Randn([3, 3], 97)).repeat(1, tp.WeightNumel / 2));
        Assert.Equal(new long[] { 3, 2 }, b.shape);
        Assert.Equal(new long[] { 3, tp.IrrepsOut.Dim }, m.shape);
        Assert.True(double.IsFinite(m.sum().item<double>() + b.sum().item<double>()));
    }
}
