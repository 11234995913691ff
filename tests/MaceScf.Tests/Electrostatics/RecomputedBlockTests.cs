using MaceScf.Electrostatics;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// Realspace pair blocks rebuilt in the backward pass (<see cref="RecomputedBlocks"/>, bounded memory with gradients) give
/// what the kept blocks give, whose autograd graph holds every pair: values, forces and second derivatives to 1e-12,
/// forces equal to finite differences, and the same bits on a repeated evaluation.
public class RecomputedBlockTests
{
    static readonly ElectrostaticsOptions Options = new() { Method = BoundaryMethod.Realspace, FieldFeatureWidths = [1.0, 2.0] };

    static (Tensor Positions, Tensor P) Cluster(int atoms, int seed)
    {
        var generator = new Generator((ulong)seed);
        var positions = rand(atoms, 3, dtype: float64, generator: generator) * Math.Cbrt(atoms / 0.05);
        var p = (rand(atoms, 4, dtype: float64, generator: generator) - 0.5) * 0.8;
        return (positions, p);
    }

    /// Energy, forces, potential, features, the features' gradient with respect to the positions, and the forces
    /// differentiated with respect to the density (as force training and implicit forces do).
    static Tensor[] Evaluate(Tensor x, Tensor p, long pairsPerBlock, long cachedPairLimit)
    {
        var positions = x.clone().requires_grad_(true);
        var density = p.clone().requires_grad_(true);
        using var sum = new RealSpaceSum(Options, new FieldFeatureLayout(Options), positions, pairsPerBlock, cachedPairLimit);
        var energy = sum.Energy(density);
        var forces = -Gradients.Of([energy], [positions], createGraph: true)[0];
        var mixed = Gradients.Of([(forces * x).sum()], [density])[0];
        var features = sum.Features(density);
        var weights = cos(arange(features.numel(), dtype: float64)).view(features.shape);
        var featureForces = Gradients.Of([(features * weights).sum()], [positions])[0];
        return [energy.detach(), forces.detach(), sum.Potential(density).detach(), features.detach(), featureForces, mixed];
    }

    [Fact]
    public void RecomputedBlocksEqualKeptBlocksTo1e12AndRepeatBitForBit()
    {
        using var scope = NewDisposeScope();
        var (x, p) = Cluster(150, 11);
        var kept = Evaluate(x, p, long.MaxValue / 2, long.MaxValue);
        var recomputed = Evaluate(x, p, 2000, 0);
        var again = Evaluate(x, p, 2000, 0);
        string[] names = ["energy", "forces", "potential", "features", "feature gradient", "∂F/∂p"];
        for (int k = 0; k < names.Length; k++)
        {
            Assert.True(MaxAbs(kept[k]) > 1e-3, $"{names[k]} is trivially small");
            double difference = MaxAbs(kept[k] - recomputed[k]);
            Assert.True(difference <= 1e-12, $"{names[k]}: recomputed blocks differ from kept ones by {difference:G3}");
            Assert.True(recomputed[k].eq(again[k]).all().item<bool>(), $"{names[k]}: a repeated evaluation gave other bits");
        }
    }

    [Fact]
    public void RecomputedForcesEqualMinusFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var (x, p) = Cluster(30, 12);
        var forces = Evaluate(x, p, 100, 0)[1];
        double Energy(Tensor positions)
        {
            using var inner = NewDisposeScope();
            using var sum = new RealSpaceSum(Options, new FieldFeatureLayout(Options), positions, 100, 0);
            return sum.Energy(p).item<double>();
        }
        var expected = CentralDifferences(Energy, x, 1e-5);
        var actual = forces.reshape(-1).data<double>().ToArray();
        for (int i = 0; i < actual.Length; i++) Assert.Equal(-expected[i], actual[i], 1e-7);
    }

    /// With a pairing ⟨f_b(x), g⟩ the backward passes differentiate the pairing and never the block itself (whose result can be far
    /// larger than its inputs, as a PME grid): the block's function refuses autograd here, and the gradients and second
    /// derivatives equal those of the same function evaluated directly.
    [Fact]
    public void APairingReplacesTheBlockInTheBackwardPasses()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(23);
        var x0 = rand(12, dtype: float64, generator: generator) - 0.5;
        var weights = rand(12, 40, dtype: float64, generator: generator);
        var pattern = rand(40, dtype: float64, generator: generator);
        // Block b: f_b(x) = Σ_{i in b} sin(x_i)·w_i (a 40-vector from 4 inputs), summed over 3 blocks.
        Tensor Block(int b, Tensor x) => (x.narrow(0, 4 * b, 4).sin().unsqueeze(1) * weights.narrow(0, 4 * b, 4)).sum(dim: 0);
        var terms = new BlockTerms(3, Concatenated: false,
            (b, inputs, _) =>
            {
                Assert.False(is_grad_enabled() && inputs[0].requires_grad, "the block was evaluated under autograd");
                return Block(b, inputs[0]);
            },
            (b, inputs, g) => (inputs[0].narrow(0, 4 * b, 4).sin() * weights.narrow(0, 4 * b, 4).matmul(g)).sum());
        Tensor[] Derivatives(Func<Tensor, Tensor> f)
        {
            var x = x0.clone().requires_grad_(true);
            var y = f(x);
            var loss = (pattern * y.square()).sum();
            var gradient = Gradients.Of([loss], [x], createGraph: true)[0];
            var second = Gradients.Of([(gradient * cos(arange(12, dtype: float64))).sum()], [x])[0];
            return [y.detach(), gradient.detach(), second];
        }
        var paired = Derivatives(x => RecomputedBlocks.Of(terms, x));
        var direct = Derivatives(x => Enumerable.Range(0, 3).Select(b => Block(b, x)).Aggregate((a, b) => a + b));
        for (int k = 0; k < 3; k++) Assert.True(MaxAbs(paired[k] - direct[k]) <= 1e-12 * MaxAbs(direct[k]), $"derivative {k}");
    }
}
