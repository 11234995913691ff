using MaceScf.Electrostatics;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Electrostatics;

/// The realspace pair terms taken in blocks of receivers (bounded memory) equal the single-block sum, derivatives included.
public class RealSpaceBlockTests(ITestOutputHelper output)
{
    static (Tensor Positions, Tensor P) RandomCluster(int atoms, int seed)
    {
        var generator = new Generator((ulong)seed);
        var positions = rand(atoms, 3, dtype: float64, generator: generator).Times(8.0);
        var p = (rand(atoms, 4, dtype: float64, generator: generator).Minus(0.5)).Times(0.8);
        return (positions, p);
    }

    [Theory]
    [InlineData(1, 1L << 20)]   // blocks of one receiver, kept
    [InlineData(7, 0L)]         // blocks of one receiver, rebuilt at every evaluation
    [InlineData(40, 0L)]        // blocks of a few receivers, rebuilt
    public void BlocksEqualOneBlockTo1e12(long pairsPerBlock, long cachedPairLimit)
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Realspace };
        var layout = new FieldFeatureLayout(options);
        var (x, p) = RandomCluster(23, 5);

        (Tensor Energy, Tensor Potential, Tensor Features, Tensor Forces, Tensor Hessian) Evaluate(long perBlock, long cacheLimit)
        {
            var positions = x.clone().requires_grad_(true);
            var density = p.clone().requires_grad_(true);
            using var sum = new RealSpaceSum(options, layout, positions, perBlock, cacheLimit);
            var energy = sum.Energy(density);
            var forces = -autograd.grad([energy], [positions], retain_graph: true, create_graph: true)[0];
            // The force differentiated again with respect to the density (force training, implicit forces): through the blocks.
            var mixed = autograd.grad([(forces * x).sum()], [density], retain_graph: true)[0];
            return (energy.detach(), sum.Potential(density).detach(), sum.Features(density).detach(), forces.detach(), mixed.detach());
        }

        var whole = Evaluate(long.MaxValue / 2, long.MaxValue);
        var blocks = Evaluate(pairsPerBlock, cachedPairLimit);
        Assert.True(Math.Abs(whole.Energy.item<double>()) > 0.1);
        Assert.Equal(whole.Energy.item<double>(), blocks.Energy.item<double>(), 1e-12);
        Assert.True(Fixtures.MaxAbs(whole.Potential - blocks.Potential) < 1e-12);
        Assert.True(Fixtures.MaxAbs(whole.Features - blocks.Features) < 1e-12);
        Assert.True(Fixtures.MaxAbs(whole.Forces - blocks.Forces) < 1e-12);
        Assert.True(Fixtures.MaxAbs(whole.Hessian - blocks.Hessian) < 1e-12);
        Assert.True(Fixtures.MaxAbs(whole.Hessian) > 1e-3);
    }

    /// The pair kernels, blocks and self terms make numbers into TorchSharp Scalars at every step; evaluated while another
    /// thread collects garbage without pause, energy, potential and features never fail and equal the values computed
    /// before, bit for bit (docs/design.md, "Scalars").
    [Fact]
    public void SumIsUnaffectedByGarbageCollectionsDuringItsNativeCalls()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Realspace };
        var layout = new FieldFeatureLayout(options);
        var (positions, p) = RandomCluster(6, 3);
        (Tensor Energy, Tensor Potential, Tensor Features) Evaluate()
        {
            using var sum = new RealSpaceSum(options, layout, positions, 8, 0);
            return (sum.Energy(p), sum.Potential(p), sum.Features(p));
        }
        var reference = Evaluate();
        GarbageCollectionPressure.AssertUnaffected(output, "realspace sums", 1500, () =>
        {
            var (energy, potential, features) = Evaluate();
            return energy.equal(reference.Energy).all().item<bool>() && potential.equal(reference.Potential).all().item<bool>()
                && features.equal(reference.Features).all().item<bool>();

        });
    }

    [Fact]
    public void RebuiltBlocksRefuseCoincidentAtomsByName()
    {
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Realspace };
        var positions = Fixtures.T(new double[,] { { 0, 0, 0 }, { 1.5, 0, 0 }, { 0, 2, 0 }, { 1.5, 0, 1e-5 } });
        var error = Assert.Throws<StructureGeometryException>(() => new RealSpaceSum(options, new FieldFeatureLayout(options), positions, 3, 0));
        Assert.Contains("atoms 1 and 3 are 1E-05 Å apart", error.Message);
    }

    [Fact]
    public void NoAtomsGiveOnlyEmptyResults()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Realspace };
        using var sum = new RealSpaceSum(options, new FieldFeatureLayout(options), zeros(0, 3, dtype: float64), 4, 0);
        var p = zeros(0, 4, dtype: float64);
        Assert.Equal(0.0, sum.Energy(p).item<double>());
        Assert.Equal([0L], sum.Potential(p).shape);
        Assert.Equal([0L, options.FieldFeatureCount], sum.Features(p).shape);
    }
}
