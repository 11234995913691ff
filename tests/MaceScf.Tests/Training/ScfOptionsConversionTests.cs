using MaceScf.Training;

namespace MaceScf.Tests.Training;

public class ScfOptionsConversionTests
{
    [Theory]
    [InlineData(InitialDensity.LocalGuess, MaceScf.FixedPoint.InitialDensity.LocalGuess)]
    [InlineData(InitialDensity.FromData, MaceScf.FixedPoint.InitialDensity.FromData)]
    [InlineData(InitialDensity.Zero, MaceScf.FixedPoint.InitialDensity.Zero)]
    public void EveryInitialDensityReachesTheModelUnchanged(InitialDensity configured, MaceScf.FixedPoint.InitialDensity expected)
    {
        var model = new ScfOptions { InitialDensity = configured, NumScfSteps = 7, MixingParameter = 0.3, ConstantCharge = false }.ToModelOptions();
        Assert.Equal(expected, model.InitialDensity);
        Assert.Equal(7, model.NumScfSteps);
        Assert.Equal(0.3, model.MixingParameter);
        Assert.False(model.ConstantCharge);
    }
}
