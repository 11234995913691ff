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
        var positions = rand(atoms, 3, dtype: float64, generator: generator).Times(Math.Cbrt(atoms / 0.05));
        var p = (rand(atoms, 4, dtype: float64, generator: generator).Minus(0.5)).Times(0.8);
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
        var weights = cos(HeldScalars.Range(features.numel(), float64)).view(features.shape);
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
        var x0 = rand(12, dtype: float64, generator: generator).Minus(0.5);
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
            var loss = (pattern * y.Squared()).sum();
            var gradient = Gradients.Of([loss], [x], createGraph: true)[0];
            var second = Gradients.Of([(gradient * cos(HeldScalars.Range(12, float64))).sum()], [x])[0];
            return [y.detach(), gradient.detach(), second];
        }
        var paired = Derivatives(x => RecomputedBlocks.Of(terms, x));
        var direct = Derivatives(x => Enumerable.Range(0, 3).Select(b => Block(b, x)).Aggregate((a, b) => a.Plus(b)));
        for (int k = 0; k < 3; k++) Assert.True(MaxAbs(paired[k] - direct[k]) <= 1e-12 * MaxAbs(direct[k]), $"derivative {k}");
    }

    /// Blocks that name the rows they read (<see cref="BlockTerms.Slices"/>: the backbone's edge chunks and node blocks) receive only
    /// those rows, in the forward pass and in every backward pass; the gradient without a graph (each block's added into its rows)
    /// and the differentiated one equal the direct sums' to 1e-12, for a sliced input and a whole one.
    [Fact]
    public void SlicedBlocksReceiveTheirRowsAndTheirGradientsGoToThoseRows()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(29);
        var x0 = rand(12, dtype: float64, generator: generator).Minus(0.5);
        var w0 = rand(40, dtype: float64, generator: generator);
        var pattern = rand(40, dtype: float64, generator: generator);
        // Block b (of rows 4b..4b+3 of x, all of w): f_b = Σ_{i in b} sin(x_i)·cos(i·w), summed over 3 blocks.
        Tensor Block(int b, Tensor rows, Tensor w) =>
            (rows.sin().unsqueeze(1) * (HeldScalars.Range(4 * b, 4 * b + 4, float64).unsqueeze(1) * w).cos()).sum(dim: 0);
        var terms = new BlockTerms(3, Concatenated: false,
            (b, inputs, _) =>
            {
                Assert.Equal(4, inputs[0].shape[0]);
                Assert.Equal(40, inputs[1].shape[0]);
                return Block(b, inputs[0], inputs[1]);
            },
            Slices: (b, input) => input == 0 ? (4L * b, 4L) : null);
        Tensor[] Derivatives(Func<Tensor, Tensor, Tensor> f)
        {
            var x = x0.clone().requires_grad_(true);
            var w = w0.clone().requires_grad_(true);
            var y = f(x, w);
            var loss = (pattern * y.Squared()).sum();
            var plain = Gradients.Of([loss], [x, w], retainGraph: true);
            var gradient = Gradients.Of([loss], [x, w], createGraph: true);
            var second = Gradients.Of([(gradient[0] * cos(HeldScalars.Range(12, float64))).sum().Plus(gradient[1].sum())], [x])[0];
            return [y.detach(), plain[0], plain[1], gradient[0].detach(), gradient[1].detach(), second];
        }
        var sliced = Derivatives((x, w) => RecomputedBlocks.Of(terms, x, w));
        var direct = Derivatives((x, w) => Enumerable.Range(0, 3).Select(b => Block(b, x.narrow(0, 4 * b, 4), w)).Aggregate((a, b) => a.Plus(b)));
        for (int k = 0; k < sliced.Length; k++)
        {
            Assert.True(MaxAbs(direct[k]) > 1e-3, $"derivative {k} is trivially small");
            Assert.True(MaxAbs(sliced[k] - direct[k]) <= 1e-12 * MaxAbs(direct[k]), $"derivative {k}");
        }
    }

    /// Summed blocks placed in rows of the sum (<see cref="BlockTerms.Placed"/>: the backbone's edge chunks, whose receivers are a range
    /// of nodes) compute only their rows, overlapping ranges add up, and the gradients without a graph and differentiated equal the
    /// direct sum's to 1e-12.
    [Fact]
    public void PlacedBlocksComputeOnlyTheirRowsOfTheSum()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(31);
        var x0 = rand(6, dtype: float64, generator: generator).Minus(0.5);
        var mix = rand(6, 4, 3, dtype: float64, generator: generator);
        var pattern = rand(10, 3, dtype: float64, generator: generator);
        // Block b (b = 0..3) gives rows 2b..2b+3 of a 10-row sum: sin(x)·mix [4, 3]; rows 2, 3, ... are shared by two blocks.
        Tensor Block(int b, Tensor x) => (x.sin().view(6, 1, 1) * mix).sum(dim: 0).Times((b + 1));
        var terms = new BlockTerms(4, Concatenated: false, (b, inputs, _) => Block(b, inputs[0]),
            Placed: (b => (2L * b, 4L), 10));
        Tensor[] Derivatives(Func<Tensor, Tensor> f)
        {
            var x = x0.clone().requires_grad_(true);
            var y = f(x);
            Assert.Equal(new long[] { 10, 3 }, y.shape);
            var loss = (pattern * y.Squared()).sum();
            var plain = Gradients.Of([loss], [x], retainGraph: true)[0];
            var gradient = Gradients.Of([loss], [x], createGraph: true)[0];
            var second = Gradients.Of([(gradient * cos(HeldScalars.Range(6, float64))).sum()], [x])[0];
            return [y.detach(), plain, gradient.detach(), second];
        }
        var placed = Derivatives(x => RecomputedBlocks.Of(terms, x));
        var direct = Derivatives(x => Enumerable.Range(0, 4)
            .Select(b => nn.functional.pad(Block(b, x), [0, 0, 2L * b, 10 - 2L * b - 4])).Aggregate((a, b) => a.Plus(b)));
        for (int k = 0; k < placed.Length; k++)
        {
            Assert.True(MaxAbs(direct[k]) > 1e-3, $"derivative {k} is trivially small");
            Assert.True(MaxAbs(placed[k] - direct[k]) <= 1e-12 * MaxAbs(direct[k]), $"derivative {k}");
        }
    }
}
