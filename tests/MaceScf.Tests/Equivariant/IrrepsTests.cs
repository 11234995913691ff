using MaceScf.Equivariant;

namespace MaceScf.Tests.Equivariant;

public class IrrepsTests
{
    [Fact]
    public void ParsesMultiplicitiesParitiesAndDimensions()
    {
        var irreps = Irreps.Parse("32x0e + 32x1o+2e+ 4x3o");
        Assert.Equal(4, irreps.Count);
        Assert.Equal(new MulIrrep(32, new Irrep(1, -1)), irreps[1]);
        Assert.Equal(new MulIrrep(1, new Irrep(2, 1)), irreps[2]);
        Assert.Equal(32 + 96 + 5 + 28, irreps.Dim);
        Assert.Equal(3, irreps.Lmax);
        Assert.Equal("32x0e+32x1o+1x2e+4x3o", irreps.ToString());
        Assert.Equal(new[] { 0, 32, 128, 133, 161 }, irreps.Offsets());
        Assert.Equal((128, 5), irreps.Slices()[2]);
        Assert.Equal(69, irreps.NumIrreps);
        Assert.Equal(4, irreps.CountOf(Irrep.Parse("3o")));
        Assert.Equal(0, irreps.CountOf(Irrep.Parse("3e")));
        Assert.Equal(new Irrep(3, -1), Irrep.Parse("3y"));
        Assert.Throws<FormatException>(() => Irreps.Parse("3x1q"));
    }

    [Fact]
    public void SortsStablyByDegreeThenOddBeforeEven()
    {
        var (sorted, perm, inv) = Irreps.Parse("1x1e+2x0e+3x1o+4x0e").Sort();
        Assert.Equal("2x0e+4x0e+3x1o+1x1e", sorted.ToString());
        Assert.Equal(new[] { 1, 3, 2, 0 }, perm);
        Assert.Equal(new[] { 3, 0, 2, 1 }, inv);
        Assert.Equal("6x0e+3x1o+1x1e", sorted.Simplify().ToString());
    }

    [Fact]
    public void RepeatThenSortAndSimplifyGivesTheInteractionIrreps()
    {
        var sh = Irreps.SphericalHarmonics(3);
        Assert.Equal("1x0e+1x1o+1x2e+1x3o", sh.ToString());
        Assert.Equal(16, sh.Dim);
        Assert.Equal("2x0e+2x1o+2x2e+2x3o", sh.Repeat(2).Sort().Sorted.Simplify().ToString());
        Assert.Equal("128x0e+128x1o+128x2e+128x3o", sh.WithMultiplicity(128).ToString());
    }

    [Fact]
    public void ProductRuleListsDegreesInIncreasingOrderWithMultipliedParity()
    {
        var prod = Irrep.Parse("2e").Times(Irrep.Parse("1o")).ToArray();
        Assert.Equal(new[] { "1o", "2o", "3o" }, prod.Select(p => p.ToString()));
        Assert.Equal(new[] { "0e", "1e", "2e" }, Irrep.Parse("1o").Times(Irrep.Parse("1o")).Select(p => p.ToString()));
    }
}
