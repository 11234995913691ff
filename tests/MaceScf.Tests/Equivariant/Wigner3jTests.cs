using MaceScf.Equivariant;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Equivariant;

public class Wigner3jTests(ITestOutputHelper output)
{
    [Fact]
    public void MatchesE3nn044ValuesAndSigns()
    {
        using var scope = NewDisposeScope();
        var json = Reference.Load("wigner_3j.json").GetProperty("values");
        double worst = 0;
        foreach (var entry in json.EnumerateObject())
        {
            var l = entry.Name.Split(',').Select(int.Parse).ToArray();
            var expected = tensor(Reference.Flatten(entry.Value.GetProperty("data")), Reference.Shape(entry.Value.GetProperty("shape")), dtype: ScalarType.Float64);
            var err = Reference.MaxDiff(Wigner3j.AsTensor(l[0], l[1], l[2]), expected);
            Assert.True(err < 1e-13, $"({entry.Name}): {err}");
            worst = Math.Max(worst, err);
        }
        output.WriteLine($"max |C - C_e3nn044| over {json.EnumerateObject().Count()} triples = {worst:E2}");
    }

    [Fact]
    public void MatchesTheNotesSampleValuesOf112()
    {
        var c = Wigner3j.Compute(1, 1, 2);
        Assert.Equal(-0.1825741858, c[0, 0, 2], 9);
        Assert.Equal(-0.316227766, c[0, 0, 4], 9);
        Assert.Equal(0.3651483717, c[1, 1, 2], 9);
        foreach (var (i, j, k) in new[] { (0, 1, 1), (0, 2, 0), (1, 0, 1), (1, 2, 3), (2, 0, 0), (2, 1, 3), (2, 2, 4) })
            Assert.Equal(0.316227766, c[i, j, k], 9);
        Assert.Equal(-0.1825741858, c[2, 2, 2], 9);
    }

    /// C = C ×₁ D^{l1} ×₂ D^{l2} ×₃ D^{l3} and Σ C² = 1 for every triple with l ≤ 4.
    [Fact]
    public void IsInvariantAndNormalisedForAllTriplesUpToFour()
    {
        using var scope = NewDisposeScope();
        var rot = Rotations.Random(new System.Random(21));
        var d = Enumerable.Range(0, 5).Select(l => WignerD.Matrix(l, rot)).ToArray();
        double worst = 0;
        for (int l1 = 0; l1 <= 4; l1++)
        for (int l2 = 0; l2 <= 4; l2++)
        for (int l3 = Math.Abs(l1 - l2); l3 <= Math.Min(4, l1 + l2); l3++)
        {
            using var inner = NewDisposeScope();
            var c = Wigner3j.AsTensor(l1, l2, l3);
            var rotated = torch.einsum("ijk,ai,bj,ck->abc", c, d[l1], d[l2], d[l3]);
            worst = Math.Max(worst, Reference.MaxDiff(rotated, c));
            Assert.True(Math.Abs(c.Squared().sum().item<double>() - 1) < 1e-14);
        }
        output.WriteLine($"max |C(D1,D2,D3) - C| (l<=4) = {worst:E2}");
        Assert.True(worst < 1e-12, $"error {worst}");
    }

    [Fact]
    public void SatisfiesTheSpecialCases()
    {
        using var scope = NewDisposeScope();
        for (int l = 0; l <= 4; l++)
        {
            var delta = eye(2 * l + 1, dtype: ScalarType.Float64).DividedBy(Math.Sqrt(2 * l + 1));
            Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(0, l, l)[0], delta) < 1e-15);
            Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(l, 0, l)[.., 0, ..], delta) < 1e-15);
            Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(l, l, 0)[.., .., 0], delta) < 1e-15);
        }
        var eps = zeros(3, 3, 3, dtype: ScalarType.Float64);
        foreach (var (i, j, k, s) in new[] { (0, 1, 2, 1.0), (1, 2, 0, 1), (2, 0, 1, 1), (0, 2, 1, -1), (2, 1, 0, -1), (1, 0, 2, -1) })
            eps[i, j, k] = s / Math.Sqrt(6);
        Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(1, 1, 1), eps) < 1e-15);
    }

    /// e3nn 0.4.4 derives unsorted triples from the sorted one: (2,1,2) = −(1,2,2) with the first two axes swapped, although
    /// the sign rule applied to (2,1,2) directly would pick the opposite sign (this is what MACE's U matrices see).
    [Fact]
    public void UnsortedOddTriplesArePermutationsOfTheSortedOne()
    {
        using var scope = NewDisposeScope();
        var sorted = Wigner3j.AsTensor(1, 2, 2);
        Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(2, 1, 2), -sorted.permute(1, 0, 2)) < 1e-15);
        Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(2, 2, 1), -sorted.permute(2, 1, 0)) < 1e-15);
        var cyclic = Wigner3j.AsTensor(2, 3, 1);
        Assert.True(Reference.MaxDiff(cyclic, Wigner3j.AsTensor(1, 2, 3).permute(1, 2, 0)) < 1e-15);
    }

    /// Swapping two indices multiplies by (−1)^{l1+l2+l3} for even-sum triples, where both e3nn versions agree.
    [Fact]
    public void PermutationSymmetryForEvenSums()
    {
        using var scope = NewDisposeScope();
        foreach (var (a, b, c) in new[] { (1, 1, 2), (2, 1, 3), (2, 2, 4), (3, 3, 2), (1, 3, 4) })
        {
            var x = Wigner3j.AsTensor(a, b, c);
            Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(b, a, c), x.permute(1, 0, 2)) < 1e-14);
            Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(a, c, b), x.permute(0, 2, 1)) < 1e-14);
            Assert.True(Reference.MaxDiff(Wigner3j.AsTensor(b, c, a), x.permute(1, 2, 0)) < 1e-14);
        }
    }
}
