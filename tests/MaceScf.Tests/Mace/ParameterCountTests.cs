using MaceScf.Mace;
using TorchSharp;
using Xunit.Abstractions;

namespace MaceScf.Tests.Mace;

/// Parameter counts of published and default settings (docs/mace.md): proof that every layer has MACE's shape.
/// Models are only built, never run.
public class ParameterCountTests(ITestOutputHelper output)
{
    private static readonly int[] Mp0Elements = Enumerable.Range(1, 89).ToArray();

    private long Count(MaceHyperparameters hyperparameters)
    {
        torch.random.manual_seed(0);
        using var model = new MaceModel(hyperparameters);
        long count = model.ParameterCount;
        output.WriteLine($"{hyperparameters.HiddenIrreps} Z={hyperparameters.NumElements} first={hyperparameters.InteractionFirst}: {count:N0}");
        return count;
    }

    /// MACE-MP-0 small / medium / large: 89 elements, r_max 6, 10 Bessel functions, residual first block, 128 channels,
    /// L = 0 / 1 / 2 (published 3.85M / 4.69M / 5.72M).
    [Theory]
    [InlineData("128x0e", 3_847_696)]
    [InlineData("128x0e+128x1o", 4_688_656)]
    [InlineData("128x0e+128x1o+128x2e", 5_725_072)]
    public void MaceMp0ModelsHaveThePublishedCounts(string hidden, long expected)
    {
        Assert.Equal(expected, Count(new MaceHyperparameters
        {
            AtomicNumbers = Mp0Elements, RMax = 6.0, NumBessel = 10, HiddenIrreps = hidden,
        }));
    }

    /// The command-line default (--model MACE: non-residual first block, 128x0e+128x1o, 8 Bessel) and the same with a
    /// residual first block.
    [Theory]
    [InlineData(1, InteractionKinds.NonResidual, 558_608)]
    [InlineData(3, InteractionKinds.NonResidual, 751_888)]
    [InlineData(1, InteractionKinds.Residual, 509_456)]
    [InlineData(4, InteractionKinds.Residual, 651_920)]
    public void CommandLineDefaultsHaveTheDocumentedCounts(int elements, string first, long expected)
    {
        Assert.Equal(expected, Count(new MaceHyperparameters
        {
            AtomicNumbers = Enumerable.Range(1, elements).ToArray(), InteractionFirst = first,
        }));
    }

    [Fact]
    public void ParameterNamesFollowMace()
    {
        torch.random.manual_seed(0);
        using var model = new MaceModel(new MaceHyperparameters { AtomicNumbers = [1, 8], HiddenIrreps = "8x0e+8x1o", RadialMlp = [16] });
        var shapes = model.named_parameters().ToDictionary(p => p.name, p => string.Join('x', p.parameter.shape));
        foreach (var (name, shape) in new[]
        {
            ("node_embedding.weight", "16"),
            ("interactions.0.linear_up.weight", "64"),
            ("interactions.0.conv_tp_weights.layer0.weight", "8x16"),
            ("interactions.0.conv_tp_weights.layer1.weight", "16x32"),
            ("interactions.0.linear.weight", "256"),
            ("interactions.0.skip_tp.weight", "128"),
            ("interactions.1.conv_tp_weights.layer1.weight", "16x80"),
            ("interactions.1.linear.weight", "640"),
            ("interactions.1.skip_tp.weight", "128"),
            ("products.0.symmetric_contractions.contractions.0.weights_max", "2x23x8"),
            ("products.0.symmetric_contractions.contractions.1.weights.1", "2x1x8"),
            ("products.0.linear.weight", "128"),
            ("products.1.linear.weight", "64"),
            ("readouts.0.linear.weight", "8"),
            ("readouts.1.linear_1.weight", "128"),
            ("readouts.1.linear_2.weight", "16"),
        })
            Assert.Equal(shape, shapes[name]);
        Assert.DoesNotContain(shapes.Keys, k => k.StartsWith("products.1.symmetric_contractions.contractions.1"));
    }
}
