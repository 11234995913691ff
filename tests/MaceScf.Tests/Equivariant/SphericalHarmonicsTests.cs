using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

public class SphericalHarmonicsTests(ITestOutputHelper output)
{
    [Fact]
    public void MatchesE3nn044ReferenceValues()
    {
        using var scope = NewDisposeScope();
        var json = Reference.Load("spherical_harmonics.json");
        var vectors = tensor(Reference.Flatten(json.GetProperty("vectors_raw")), new long[] { 3, 3 }, dtype: ScalarType.Float64);
        var expected = tensor(Reference.Flatten(json.GetProperty("concat_l0_to_3")), new long[] { 3, 16 }, dtype: ScalarType.Float64);
        var err = Reference.MaxDiff(SphericalHarmonics.Compute(3, vectors), expected);
        output.WriteLine($"max |Y - Y_e3nn| = {err:E2}");
        Assert.True(err < 1e-13, $"error {err}");
    }

    [Fact]
    public void MatchesTheNotesValuesAtOneTwoThree()
    {
        using var scope = NewDisposeScope();
        double[] expected = [1, 0.4629100499, 0.9258200998, 1.3887301497, 0.8299250028, 0.5532833352, -0.1597191412,
            1.6598500055, 1.1065666703, 1.0381744181, 1.1736911947, 0.1855768722, -1.1111677990, 0.5567306167,
            1.5649215929, 0.7187361356];
        var y = SphericalHarmonics.Compute(3, tensor(new[] { 1.0, 2.0, 3.0 }, dtype: ScalarType.Float64));
        var err = Reference.MaxDiff(y, tensor(expected, dtype: ScalarType.Float64));
        Assert.True(err < 1e-9, $"error {err}");
    }

    [Fact]
    public void YzxOrderEvaluatesThePolynomialsOnThePermutedVector()
    {
        using var scope = NewDisposeScope();
        var v = Reference.Randn([5, 3], 3);
        var yzx = SphericalHarmonics.Compute(5, v, VectorOrder.Yzx);
        var permuted = SphericalHarmonics.Compute(5, v.index_select(1, tensor(new long[] { 1, 2, 0 })));
        Assert.True(Reference.MaxDiff(yzx, permuted) < 1e-14);
        var unit = nn.functional.normalize(v, dim: -1);
        // Textbook order: l=1 block is √3 (y, z, x), the m=0 component of l=2 is ∝ 3z² − 1.
        Assert.True(Reference.MaxDiff(yzx[.., 1..4], unit.index_select(1, tensor(new long[] { 1, 2, 0 })).Times(Math.Sqrt(3))) < 1e-14);
        var z = unit[.., 2];
        Assert.True(Reference.MaxDiff(yzx[.., 6], ((z.Times(3) * z).Minus(1)).Times(Math.Sqrt(5) / 2)) < 1e-14);
    }

    [Fact]
    public void ComponentNormalisationHoldsUpToDegreeSix()
    {
        using var scope = NewDisposeScope();
        var y = SphericalHarmonics.Compute(6, Reference.Randn([20, 3], 4));
        for (int l = 0; l <= 6; l++)
        {
            var block = y[.., (l * l)..((l + 1) * (l + 1))];
            var err = Reference.MaxAbs(block.Squared().sum(1).Minus((2 * l + 1)));
            Assert.True(err < 1e-12, $"l={l}: {err}");
        }
    }

    /// (1/4π) ∫ Y_i Y_j dΩ = δ_ij by a Gauss–Legendre × uniform-φ quadrature, exact for these degrees.
    [Fact]
    public void AreOrthonormalOnTheSphere()
    {
        using var scope = NewDisposeScope();
        const int lmax = 5, nTheta = 12, nPhi = 24;
        var (nodes, weights) = GaussLegendre(nTheta);
        var points = new List<double>();
        var w = new List<double>();
        for (int i = 0; i < nTheta; i++)
        for (int k = 0; k < nPhi; k++)
        {
            double phi = 2 * Math.PI * k / nPhi, s = Math.Sqrt(1 - nodes[i] * nodes[i]);
            points.AddRange([s * Math.Cos(phi), s * Math.Sin(phi), nodes[i]]);
            w.Add(weights[i] / (2 * nPhi));
        }
        var r = tensor(points.ToArray(), new long[] { w.Count, 3 }, dtype: ScalarType.Float64);
        var y = SphericalHarmonics.Compute(lmax, r);
        var gram = y.T.matmul(y * tensor(w.ToArray(), dtype: ScalarType.Float64).unsqueeze(1));
        var err = Reference.MaxDiff(gram, eye((lmax + 1) * (lmax + 1), dtype: ScalarType.Float64));
        output.WriteLine($"max |<Y_i,Y_j> - δ_ij| = {err:E2}");
        Assert.True(err < 1e-12, $"error {err}");
    }

    [Theory]
    [InlineData(nameof(VectorOrder.Xyz))]
    [InlineData(nameof(VectorOrder.Yzx))]
    public void RotateWithWignerD(string orderName)
    {
        var order = Enum.Parse<VectorOrder>(orderName);
        using var scope = NewDisposeScope();
        var rng = new System.Random(11);
        var r = Reference.Randn([30, 3], 5);
        double worst = 0;
        for (int trial = 0; trial < 4; trial++)
        {
            using var inner = NewDisposeScope();
            var rot = Rotations.Random(rng);
            var y = SphericalHarmonics.Compute(6, r, order);
            var yRot = SphericalHarmonics.Compute(6, r.matmul(rot.T), order);
            for (int l = 0; l <= 6; l++)
            {
                var sl = (l * l)..((l + 1) * (l + 1));
                var d = WignerD.Matrix(l, rot, order);
                worst = Math.Max(worst, Reference.MaxDiff(yRot[.., sl], y[.., sl].matmul(d.T)));
                worst = Math.Max(worst, Reference.MaxDiff(d.matmul(d.T), eye(2 * l + 1, dtype: ScalarType.Float64)));
            }
        }
        output.WriteLine($"max |Y(Rr) - D(R)Y(r)| (l<=6) = {worst:E2}");
        Assert.True(worst < 1e-10, $"error {worst}");
    }

    [Fact]
    public void HaveParityMinusOneToTheL()
    {
        using var scope = NewDisposeScope();
        var r = Reference.Randn([10, 3], 6);
        var y = SphericalHarmonics.Compute(4, r);
        var yInv = SphericalHarmonics.Compute(4, -r);
        var improper = Reference.Orthogonal(new System.Random(2), improper: true);
        var yImp = SphericalHarmonics.Compute(4, r.matmul(improper.T));
        for (int l = 0; l <= 4; l++)
        {
            var sl = (l * l)..((l + 1) * (l + 1));
            Assert.True(Reference.MaxDiff(yInv[.., sl], y[.., sl].Times((l % 2 == 0 ? 1 : -1))) < 1e-14);
            var d = WignerD.Matrix(Irrep.SphericalHarmonic(l), improper);
            Assert.True(Reference.MaxDiff(yImp[.., sl], y[.., sl].matmul(d.T)) < 1e-12);
        }
    }

    [Fact]
    public void WignerDFromEulerAnglesIsAHomomorphism()
    {
        using var scope = NewDisposeScope();
        var a = Rotations.FromEulerAngles(0.3, 1.1, -0.7);
        var b = Rotations.FromEulerAngles(-1.2, 0.4, 2.5);
        Assert.True(Reference.MaxDiff(WignerD.Matrix(1, a), a) < 1e-15);
        for (int l = 0; l <= 4; l++)
        {
            var err = Reference.MaxDiff(WignerD.Matrix(l, a.matmul(b)), WignerD.Matrix(l, a).matmul(WignerD.Matrix(l, b)));
            Assert.True(err < 1e-12, $"l={l}: {err}");
        }
    }

    private static (double[] Nodes, double[] Weights) GaussLegendre(int n)
    {
        var x = new double[n];
        var w = new double[n];
        for (int i = 0; i < n; i++)
        {
            double z = Math.Cos(Math.PI * (i + 0.75) / (n + 0.5)), dp = 0;
            for (int it = 0; it < 100; it++)
            {
                double p0 = 1, p1 = z;
                for (int k = 2; k <= n; k++) (p0, p1) = (p1, ((2 * k - 1) * z * p1 - (k - 1) * p0) / k);
                dp = n * (z * p1 - p0) / (z * z - 1);
                double dz = p1 / dp;
                z -= dz;
                if (Math.Abs(dz) < 1e-16) break;
            }
            x[i] = z;
            w[i] = 2 / ((1 - z * z) * dp * dp);
        }
        return (x, w);
    }
}
