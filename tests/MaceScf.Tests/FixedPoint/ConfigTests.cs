using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Parsing and validation of the fixed-point hyper-parameters and SCF options.
public class ConfigTests
{
    [Fact]
    public void UpdateConfigDefaultsAndParsing()
    {
        var d = new FixedPointUpdateConfig();
        Assert.Equal((BlockNames.OneBodyVariableUpdate, BlockNames.BiasedLinearPotentialEmbedding, BlockNames.NoNonLinearity),
            (d.Type, d.ResolvedPotentialEmbedding, d.NonlinearityCls));
        var m = FixedPointUpdateConfig.Parse("{'type': 'ManyBodyUpdate', 'nonlinearity_cls': 'MLPNonLinearity'}");
        Assert.Equal((BlockNames.ManyBodyUpdate, BlockNames.LinearPotentialEmbedding, BlockNames.MLPNonLinearity),
            (m.Type, m.ResolvedPotentialEmbedding, m.NonlinearityCls));
        var j = FixedPointUpdateConfig.Parse("{\"type\": \"OneBodyVariableUpdate\", \"potential_embedding_cls\": \"LinearPotentialEmbedding\"}");
        Assert.Equal(BlockNames.LinearPotentialEmbedding, j.ResolvedPotentialEmbedding);
        Assert.Equal(BlockNames.OneBodyMLPFieldReadout, FieldReadoutConfig.Parse("{'type': 'OneBodyMLPFieldReadout'}").Type);
        Assert.Equal(BlockNames.StrictQuadraticFieldEnergyReadout, new FieldReadoutConfig().Type);
    }

    [Theory]
    [InlineData("{'type': 'TwoBodyUpdate'}", "OneBodyVariableUpdate, ManyBodyUpdate")]
    [InlineData("{'potential_embedding_cls': 'TanhPotentialEmbedding'}", "BiasedLinearPotentialEmbedding, LinearPotentialEmbedding")]
    [InlineData("{'nonlinearity_cls': 'ShallowNonLinearity'}", "NoNonLinearity, MLPNonLinearity")]
    [InlineData("{'typo': 'ManyBodyUpdate'}", "Valid keys: type, potential_embedding_cls, nonlinearity_cls")]
    [InlineData("{'type': ", "Cannot read")]
    public void UnknownUpdateNamesListTheValidOnes(string text, string expected)
    {
        var e = Assert.Throws<ArgumentException>(() => FixedPointUpdateConfig.Parse(text));
        Assert.Contains(expected, e.Message);
    }

    [Fact]
    public void UnknownReadoutListsTheValidOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => FieldReadoutConfig.Parse("{'type': 'QuadraticReadout'}"));
        Assert.Contains(string.Join(", ", BlockNames.FieldReadouts), e.Message);
    }

    [Fact]
    public void AtomDensityScalingModes()
    {
        Assert.Equal([1.0, 1.0], AtomDensityScaling.Parse("None").Resolve([1, 8]));
        Assert.Equal([0.5, 2.0, 1.0], AtomDensityScaling.Parse("{1: 0.5, 8: 2.0}").Resolve([1, 8, 6]));
        Assert.True(AtomDensityScaling.Parse("average").IsAverage);
        Assert.Throws<InvalidOperationException>(() => AtomDensityScaling.Parse("average").Resolve([1]));
        Assert.Throws<ArgumentException>(() => AtomDensityScaling.Parse("{1 0.5}"));
        // average: per-element RMS over components; the zero-weight configuration is left out.
        var species = tensor(new long[] { 0, 0, 1, 1 });
        var multipoles = tensor(new[] { 1.0, 1, 1, 1, 3, 3, 3, 3, 2, 2, 2, 2, 100, 100, 100, 100 }, dtype: float64).view(4, 4);
        var weight = tensor(new[] { 1.0, 1, 1, 0 }, dtype: float64);
        var avg = AtomDensityScaling.Average([1, 8], species, multipoles, weight).Resolve([1, 8]);
        Assert.Equal(Math.Sqrt(5), avg[0], 12);
        Assert.Equal(2.0, avg[1], 12);
    }

    [Fact]
    public void ScfOptionsDefaultsAndValidation()
    {
        var o = new ScfOptions();
        Assert.Equal((100, 1e-6, true, 0.25, InitialDensity.LocalGuess, InitialFermiLevel.FromData, true),
            (o.NumScfSteps, o.ScfTolerance, o.ConstantCharge, o.MixingParameter, o.InitialDensity, o.InitialFermiLevel, o.UseAutogradForces));
        Assert.Equal(InitialDensity.FromData, ScfOptions.ParseInitialDensity("from_data"));
        Assert.Equal(InitialFermiLevel.Zero, ScfOptions.ParseInitialFermiLevel("zero"));
        Assert.Contains("local_guess", Assert.Throws<ArgumentException>(() => ScfOptions.ParseInitialDensity("random")).Message);
        Assert.Throws<ArgumentException>(() => (o with { NumScfSteps = 0 }).Validate());
        Assert.Throws<ArgumentException>(() => (o with { MixingParameter = 0 }).Validate());
    }

    [Fact]
    public void HyperparametersAreValidated()
    {
        var hp = FixedPointTestSystems.Hyperparameters();
        hp.Validate();
        Assert.Contains("4 entries", Assert.Throws<ArgumentException>(() => (hp with { FieldFeatureNorms = [1.0] }).Validate()).Message);
        Assert.Contains("max_ell", Assert.Throws<ArgumentException>(() =>
            (hp with { Mace = hp.Mace with { MaxEll = 1 }, UpdateConfig = new FixedPointUpdateConfig { Type = BlockNames.ManyBodyUpdate } }).Validate()).Message);
        Assert.Equal("1x0e+1x1o", hp.ChargesIrreps.ToString());
        Assert.Equal("2x0e+2x1o", hp.PotentialIrreps.ToString());
    }
}
