using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

public class RadialEmbeddingTests
{
    /// Bessel basis at r = 1.5, r_max = 5.
    [Fact]
    public void BesselBasisMatchesReferenceValues()
    {
        using var scope = NewDisposeScope();
        var b = new BesselBasis(5.0, 8).Compute(torch.tensor(new[] { 1.5 }, [1, 1], dtype: ScalarType.Float64));
        double[] expected = [0.3411115157, 0.4010006367, 0.1302930051, -0.2478320230, -0.4216370214, -0.2478320230, 0.1302930051, 0.4010006367];
        var actual = b.data<double>().ToArray();
        for (int n = 0; n < 8; n++) Assert.Equal(expected[n], actual[n], 9);
    }

    [Fact]
    public void BesselBasisMatchesClosedForm()
    {
        using var scope = NewDisposeScope();
        double rMax = 3.7;
        double[] r = [0.2, 1.1, 2.9, 3.69];
        var b = new BesselBasis(rMax, 6).Compute(torch.tensor(r, [4, 1], dtype: ScalarType.Float64));
        for (int i = 0; i < r.Length; i++)
        for (int n = 1; n <= 6; n++)
            Assert.Equal(Math.Sqrt(2 / rMax) * Math.Sin(n * Math.PI * r[i] / rMax) / r[i], b[i, n - 1].item<double>(), 13);
    }

    [Fact]
    public void PolynomialCutoffMatchesClosedForm()
    {
        using var scope = NewDisposeScope();
        Assert.Equal(0.9712045, new PolynomialCutoff(5.0, 5).Compute(torch.tensor(1.5, dtype: ScalarType.Float64)).item<double>(), 7);
        double rMax = 4.0;
        double[] r = [0.0, 0.7, 2.0, 3.3, 3.999, 4.0, 4.5];
        var f = new PolynomialCutoff(rMax, 5).Compute(torch.tensor(r, dtype: ScalarType.Float64)).data<double>().ToArray();
        for (int i = 0; i < r.Length; i++)
        {
            double u = r[i] / rMax;
            double expected = r[i] < rMax ? 1 - 21 * Math.Pow(u, 5) + 35 * Math.Pow(u, 6) - 15 * Math.Pow(u, 7) : 0;
            Assert.Equal(expected, f[i], 14);
        }
    }

    /// The envelope and its first two derivatives vanish at r_max (p = 5; also p = 6).
    [Theory]
    [InlineData(5)]
    [InlineData(6)]
    public void CutoffIsTwiceContinuouslyDifferentiableAtRMax(int p)
    {
        using var scope = NewDisposeScope();
        double rMax = 5.0;
        var r = torch.tensor(new[] { rMax - 1e-12 }, dtype: ScalarType.Float64).requires_grad_(true);
        var f = new PolynomialCutoff(rMax, p).Compute(r);
        var d1 = torch.autograd.grad([f.sum()], [r], retain_graph: true, create_graph: true)[0];
        var d2 = torch.autograd.grad([d1.sum()], [r])[0];
        Assert.True(Math.Abs(f.item<double>()) < 1e-12);
        Assert.True(Math.Abs(d1.item<double>()) < 1e-10);
        Assert.True(Math.Abs(d2.item<double>()) < 1e-9);
    }

    [Fact]
    public void EdgeFeaturesAreBesselTimesCutoff()
    {
        using var scope = NewDisposeScope();
        var radial = new RadialEmbedding(5.0, 8, 5);
        var r = torch.tensor(new[] { 0.8, 2.5, 4.9, 5.2 }, [4, 1], dtype: ScalarType.Float64);
        var expected = radial.Bessel.Compute(r) * radial.Cutoff.Compute(r);
        Assert.Equal(0.0, MaceTestSystems.MaxDiff(radial.Compute(r), expected));
        Assert.Equal(0.0, MaceTestSystems.MaxAbs(radial.Compute(r)[3]));
    }
}
