using MaceScf.Electrostatics;
using TorchSharp;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// The PME stencil rebuilt in blocks of atoms (docs/benchmarks.md, "Particle-mesh Ewald") against one block holding every
/// atom: spreading, interpolation and their first and second derivatives in values, positions and cell.
public class BSplineStencilTests
{
    static readonly long[] Grid = [12, 10, 15];

    /// Spread values of 23 atoms in a triclinic cell, interpolate a grid with a fixed random pattern back, and take
    /// a scalar of both that depends on every input non-linearly.
    static (Tensor Spread, Tensor Interpolated, Tensor[] First, Tensor[] Second) Evaluate(long? blockAtoms, bool spatialOrder = false)
    {
        var generator = new Generator(31);
        var cell = (T(new double[,] { { 9, 0, 0 }, { 1.5, 8.5, 0 }, { -1.0, 2.0, 10 } }).Plus(rand(3, 3, dtype: float64, generator: generator).Times(0.3))).requires_grad_(true);
        var positions = (rand(23, 3, dtype: float64, generator: generator).Times(12).Minus(1)).requires_grad_(true);
        var values = (rand(23, dtype: float64, generator: generator).Minus(0.5)).requires_grad_(true);
        var pattern = rand(Grid[0] * Grid[1] * Grid[2], dtype: float64, generator: generator);
        var stencil = new BSplineStencil(Grid, 6, 23, blockAtoms, spatialOrder ? BSplineStencil.SpatialOrder(Grid, positions, cell) : null);
        var spread = stencil.Spread(stack(new[] { values, values.Squared() }, 1), positions, cell);  // [2, points]
        var interpolated = stencil.Interpolate(spread.Squared().Plus(pattern), positions, cell);         // [23, 2]
        var scalar = (interpolated * values.unsqueeze(1)).sum().Plus((spread * pattern).sum());
        var first = autograd.grad([scalar], [values, positions, cell], retain_graph: true, create_graph: true);
        var second = autograd.grad([first[1].Squared().sum().Plus(first[2].Squared().sum())], [values, positions, cell]);
        return (spread.detach(), interpolated.detach(), first.Select(t => t.detach()).ToArray(), second.ToArray());
    }

    [Fact]
    public void BlocksOfAtomsEqualOneBlockToTwelveDigits()
    {
        using var scope = NewDisposeScope();
        var whole = Evaluate(blockAtoms: null);
        Assert.Equal(1, new BSplineStencil(Grid, 6, 23).Blocks);
        Assert.Equal(5, new BSplineStencil(Grid, 6, 23, blockAtoms: 5).Blocks);
        foreach (bool spatialOrder in new[] { false, true })
        {
            var blocked = Evaluate(blockAtoms: 5, spatialOrder);
            double Relative(Tensor a, Tensor b) => MaxAbs(a - b) / Math.Max(MaxAbs(b), 1e-300);
            Assert.True(Relative(blocked.Spread, whole.Spread) < 1e-12);
            Assert.True(Relative(blocked.Interpolated, whole.Interpolated) < 1e-12);
            for (int i = 0; i < 3; i++)
            {
                Assert.True(Relative(blocked.First[i], whole.First[i]) < 1e-12, $"first derivative {i}: {Relative(blocked.First[i], whole.First[i]):E2}");
                Assert.True(Relative(blocked.Second[i], whole.Second[i]) < 1e-12, $"second derivative {i}: {Relative(blocked.Second[i], whole.Second[i]):E2}");
            }
        }
    }

    /// The backward pass of spreading is the gather of the grid gradient with the same stencil (BSplineStencil.SpreadPairing):
    /// its gradients in values, positions and cell equal central differences of a scalar non-linear in the spread grids, and its
    /// differentiated backward pass (forces trained on, implicit derivatives) equals central differences of those gradients.
    [Fact]
    public void SpreadingGradientsAndTheirDerivativesEqualFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(41);
        var cell0 = T(new double[,] { { 9, 0, 0 }, { 1.5, 8.5, 0 }, { -1.0, 2.0, 10 } }).Plus(rand(3, 3, dtype: float64, generator: generator).Times(0.3));
        var positions0 = rand(23, 3, dtype: float64, generator: generator).Times(12).Minus(1);
        var values0 = rand(23, 2, dtype: float64, generator: generator).Minus(0.5);
        var pattern = rand(2, Grid[0] * Grid[1] * Grid[2], dtype: float64, generator: generator);
        var inputs0 = new[] { values0, positions0, cell0 };
        var direction = inputs0.Select(t => rand(t.shape, dtype: float64, generator: generator).Minus(0.5)).ToArray();
        // Gradients of L = Σ pattern·S² (S the spread grids; blocks of 5 atoms) at x + ε·direction, and the Hessian–direction product.
        (Tensor[] Gradient, Tensor[] Curvature) At(double epsilon)
        {
            var x = inputs0.Select((t, i) => (t.Plus(direction[i].Times(epsilon))).requires_grad_(true)).ToArray();
            var stencil = new BSplineStencil(Grid, 6, 23, blockAtoms: 5, BSplineStencil.SpatialOrder(Grid, x[1], x[2]));
            var loss = (pattern * stencil.Spread(x[0], x[1], x[2]).Squared()).sum();
            var gradient = autograd.grad([loss], x, retain_graph: true, create_graph: true).ToArray();
            var along = gradient.Select((g, i) => (g * direction[i]).sum()).Aggregate((a, b) => a.Plus(b));
            var curvature = autograd.grad([along], x).ToArray();
            return (gradient.Select(g => g.detach()).ToArray(), curvature);
        }
        double Loss(Tensor[] x)
        {
            using var inner = NewDisposeScope();
            var stencil = new BSplineStencil(Grid, 6, 23, blockAtoms: 5);
            return (pattern * stencil.Spread(x[0], x[1], x[2]).Squared()).sum().item<double>();
        }
        var (gradient0, curvature0) = At(0);
        const double h = 1e-5;
        for (int i = 0; i < 3; i++)
        {
            var flat = inputs0[i].reshape(-1);
            var expected = new double[flat.shape[0]];
            for (long e = 0; e < flat.shape[0]; e++)
            {
                var shifted = inputs0.Select(t => t.clone()).ToArray();
                shifted[i].view(-1)[e] = shifted[i].view(-1)[e].Plus(h);
                double plus = Loss(shifted);
                shifted[i].view(-1)[e] = shifted[i].view(-1)[e].Minus(2 * h);
                expected[e] = (plus - Loss(shifted)) / (2 * h);
            }
            var difference = MaxAbs(gradient0[i].reshape(-1) - T(expected));
            Assert.True(difference <= 1e-7 * Math.Max(1, MaxAbs(gradient0[i])), $"gradient {i}: {difference:E2} from central differences");
        }
        var (plusGradient, _) = At(h);
        var (minusGradient, _) = At(-h);
        for (int i = 0; i < 3; i++)
        {
            var expected = (plusGradient[i] - minusGradient[i]).DividedBy((2 * h));
            var difference = MaxAbs(curvature0[i] - expected);
            Assert.True(MaxAbs(expected) > 1e-3, $"curvature {i} is trivially small");
            Assert.True(difference <= 1e-6 * MaxAbs(expected), $"curvature {i}: {difference:E2} from central differences of the gradient");
        }
    }

    /// The spatial order visits the atoms by grid cell: the flattened cell index ⌊u⌋ mod K never decreases along it.
    [Fact]
    public void SpatialOrderSortsTheAtomsByGridCell()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(3);
        var cell = T(new double[,] { { 9, 0, 0 }, { 1.5, 8.5, 0 }, { -1.0, 2.0, 10 } });
        var positions = rand(50, 3, dtype: float64, generator: generator).Times(20).Minus(5);
        var order = BSplineStencil.SpatialOrder(Grid, positions, cell);
        var u = (positions.matmul(linalg.inv(cell)) * T(Grid.Select(k => (double)k).ToArray())).floor().to(int64).remainder(tensor(Grid));
        var key = ((u[.., 0].Times(Grid[1]).Plus(u[.., 1])).Times(Grid[2]).Plus(u[.., 2])).index_select(0, order);
        Assert.True((key[1..] >= key[..^1]).all().item<bool>());
        Assert.Equal(Enumerable.Range(0, 50).Select(i => (long)i), order.sort().Values.data<long>().ToArray());
    }

    /// At a fixed geometry with autograd in the values only (the implicit products of the SCF), the kept weights give the
    /// values and value gradients of the blocks rebuilt under autograd in positions; with too little memory to keep them the
    /// weights are rebuilt per call and give the same.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void KeptStencilWithValueGradientsEqualsTheRebuiltOne(bool enoughMemory)
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(17);
        var cell = T(new double[,] { { 9, 0, 0 }, { 1.5, 8.5, 0 }, { -1.0, 2.0, 10 } });
        var positions = rand(23, 3, dtype: float64, generator: generator).Times(12).Minus(1);
        var values = (rand(23, 3, dtype: float64, generator: generator).Minus(0.5)).requires_grad_(true);
        var pattern = rand(Grid[0] * Grid[1] * Grid[2], dtype: float64, generator: generator);
        (Tensor Spread, Tensor Interpolated, Tensor Gradient, Tensor SecondGradient) Run(BSplineStencil stencil, Tensor x)
        {
            var spread = stencil.Spread(values, x, cell);
            var interpolated = stencil.Interpolate(spread.Squared().Plus(pattern), x, cell);
            var scalar = (interpolated * values).sum().Plus((spread * pattern).sum());
            var gradient = autograd.grad([scalar], [values], retain_graph: true, create_graph: true)[0];
            var second = autograd.grad([gradient.Squared().sum()], [values])[0];
            return (spread.detach(), interpolated.detach(), gradient.detach(), second);
        }
        var order = BSplineStencil.SpatialOrder(Grid, positions, cell);
        using var rebuilt = new BSplineStencil(Grid, 6, 23, blockAtoms: 5, order.clone());
        var reference = Run(rebuilt, positions.clone().requires_grad_(true));
        Assert.Null(rebuilt.Keeps);
        using var kept = new BSplineStencil(Grid, 6, 23, blockAtoms: 5, order, available: () => enoughMemory ? 1e12 : 1e3);
        for (int call = 0; call < 2; call++)
        {
            var result = Run(kept, positions);
            Assert.Equal(enoughMemory, kept.Keeps);
            Assert.True(MaxAbs(result.Spread - reference.Spread) <= 1e-14 * MaxAbs(reference.Spread), $"spread, call {call}");
            Assert.True(MaxAbs(result.Interpolated - reference.Interpolated) <= 1e-14 * MaxAbs(reference.Interpolated), $"interpolation, call {call}");
            Assert.True(MaxAbs(result.Gradient - reference.Gradient) <= 1e-13 * MaxAbs(reference.Gradient), $"gradient, call {call}");
            Assert.True(MaxAbs(result.SecondGradient - reference.SecondGradient) <= 1e-13 * MaxAbs(reference.SecondGradient), $"second gradient, call {call}");
        }
    }

    /// Without autograd (the SCF's steps) the stencil keeps its blocks' weights: the first call builds them, later calls reuse them,
    /// and both give what the blocks rebuilt under autograd give.
    [Fact]
    public void StoredStencilWithoutAutogradEqualsTheRebuiltOne()
    {
        using var scope = NewDisposeScope();
        var generator = new Generator(9);
        var cell = T(new double[,] { { 9, 0, 0 }, { 1.5, 8.5, 0 }, { -1.0, 2.0, 10 } });
        var positions = rand(23, 3, dtype: float64, generator: generator).Times(12).Minus(1);
        var values = rand(23, 3, dtype: float64, generator: generator).Minus(0.5);
        var grids = rand(4, Grid[0] * Grid[1] * Grid[2], dtype: float64, generator: generator);
        using var stencil = new BSplineStencil(Grid, 6, 23, blockAtoms: 5);
        var spread = stencil.Spread(values, positions, cell);
        var interpolated = stencil.Interpolate(grids, positions, cell);
        using var noGrad = no_grad();
        for (int call = 0; call < 2; call++)
        {
            Assert.True(MaxAbs(stencil.Spread(values, positions, cell) - spread) <= 1e-14 * MaxAbs(spread), $"spread, call {call}");
            Assert.True(MaxAbs(stencil.Interpolate(grids, positions, cell) - interpolated) <= 1e-14 * MaxAbs(interpolated), $"interpolation, call {call}");
        }
    }

    [Fact]
    public void SpreadingConservesTheTotalAndInterpolatingAConstantGivesIt()
    {
        // Σ_j M_n(t + j) = 1: the B-splines are a partition of unity on the grid.
        using var scope = NewDisposeScope();
        var generator = new Generator(5);
        var positions = rand(40, 3, dtype: float64, generator: generator).Times(20);
        var values = rand(40, dtype: float64, generator: generator);
        var stencil = new BSplineStencil(Grid, 8, 40, blockAtoms: 7);
        var spread = stencil.Spread(values.unsqueeze(1), positions, Cubic(11));
        Assert.Equal(values.sum().item<double>(), spread.sum().item<double>(), 1e-12);
        using var value = 2.5.ToScalar();
        var constant = stencil.Interpolate(full(1, Grid[0] * Grid[1] * Grid[2], value, dtype: float64), positions, Cubic(11));
        Assert.True(MaxAbs(constant.Minus(2.5)) < 1e-13);
    }
}
