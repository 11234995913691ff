using MaceScf.Equivariant;
using MaceScf.Mace;

namespace MaceScf.Tests.Mace;

public class MaceHyperparametersTests
{
    [Fact]
    public void DefaultsFollowThePythonCommandLine()
    {
        var h = new MaceHyperparameters { AtomicNumbers = [1] };
        Assert.Equal(5.0, h.RMax);
        Assert.Equal(8, h.NumBessel);
        Assert.Equal(5, h.NumPolynomialCutoff);
        Assert.Equal(3, h.MaxEll);
        Assert.Equal("128x0e+128x1o", h.ResolveHiddenIrreps().ToString());
        Assert.Equal(3, h.Correlation);
        Assert.Equal(2, h.NumInteractions);
        Assert.Equal("16x0e", h.MlpIrreps);
        Assert.Equal(new[] { 64, 64, 64 }, h.RadialMlp);
        Assert.Equal(InteractionKinds.Residual, h.Interaction);
        Assert.Equal(InteractionKinds.Residual, h.InteractionFirst);
        Assert.Equal(1.0, h.AvgNumNeighbors);
        Assert.Equal("silu", h.Gate);
        Assert.False(h.KeepLastLayerIrreps);
        Assert.Equal(VectorOrder.Xyz, h.EdgeVectorOrder);
    }

    [Fact]
    public void NumChannelsAndMaxLOverrideHiddenIrreps()
    {
        var h = new MaceHyperparameters { AtomicNumbers = [1], HiddenIrreps = "4x0e", NumChannels = 8, MaxL = 2 };
        Assert.Equal("8x0e+8x1o+8x2e", h.ResolveHiddenIrreps().ToString());
        Assert.Equal("4x0e", (h with { MaxL = null }).ResolveHiddenIrreps().ToString());
    }

    [Fact]
    public void E0sAreInOneHotOrderAndMissingElementsAreZero()
    {
        var h = new MaceHyperparameters { AtomicNumbers = [1, 6, 8], E0s = new Dictionary<int, double> { [8] = -5.0, [1] = -1.5 } };
        Assert.Equal(new[] { -1.5, 0.0, -5.0 }, h.AtomicEnergies());
    }

    [Theory]
    [InlineData("8x0e+4x1o")]
    [InlineData("8x1o")]
    public void RejectsUnequalMultiplicitiesAndMissingScalars(string hidden)
    {
        var h = new MaceHyperparameters { AtomicNumbers = [1], HiddenIrreps = hidden };
        Assert.Throws<ArgumentException>(h.Validate);
    }

    [Fact]
    public void RejectsUnknownInteractionsAndUnsortedElements()
    {
        Assert.Throws<ArgumentException>(new MaceHyperparameters { AtomicNumbers = [1], Interaction = "Nope" }.Validate);
        Assert.Throws<ArgumentException>(new MaceHyperparameters { AtomicNumbers = [8, 1] }.Validate);
        Assert.Throws<ArgumentException>(() => new MaceHyperparameters { AtomicNumbers = [1], Gate = "relu" }.GateActivation());
    }
}
