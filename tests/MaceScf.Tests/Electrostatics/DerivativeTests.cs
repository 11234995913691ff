using MaceScf.Electrostatics;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// Forces, coefficient gradients and cell gradients by autograd against finite differences.
public class DerivativeTests
{
    public static TheoryData<BoundaryMethod> Methods =>
        [BoundaryMethod.Realspace, BoundaryMethod.Pbc, BoundaryMethod.Slab, BoundaryMethod.MoleculeInBox];

    static ElectrostaticsOptions OptionsFor(BoundaryMethod method) =>
        new() { Method = method, SmearingWidth = 1.2, FieldFeatureWidths = [1.0, 2.0] };

    [Theory]
    [MemberData(nameof(Methods))]
    public void ForcesEqualMinusFiniteDifferences(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var options = OptionsFor(method);
        var cell = T(TriclinicCell);
        var p = T(MoleculeCoefficients);
        var positions = T(MoleculePositions).requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options, positions, cell);
        var forces = -autograd.grad([plan.Energy(p).sum()], [positions])[0];
        var expected = CentralDifferences(x => EnergyOf(options, x, p, cell), T(MoleculePositions), 1e-5);
        var actual = forces.reshape(-1).data<double>().ToArray();
        for (int i = 0; i < actual.Length; i++) Assert.Equal(-expected[i], actual[i], 1e-7);
    }

    [Theory]
    [MemberData(nameof(Methods))]
    public void CoefficientGradientEqualsFiniteDifferences(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var options = OptionsFor(method);
        var cell = T(TriclinicCell);
        using var plan = new ElectrostaticsPlan(options, T(MoleculePositions), cell);
        var p = T(MoleculeCoefficients).requires_grad_(true);
        var gradient = autograd.grad([plan.Energy(p).sum()], [p])[0].reshape(-1).data<double>().ToArray();
        var expected = CentralDifferences(x => plan.Energy(x).sum().item<double>(), T(MoleculeCoefficients), 1e-5);
        for (int i = 0; i < gradient.Length; i++) Assert.Equal(expected[i], gradient[i], 1e-8);
    }

    [Theory]
    [InlineData(BoundaryMethod.Realspace)]
    [InlineData(BoundaryMethod.Pbc)]
    public void DipoleFeaturesAreTheGradientOfTheChargeFeatures(BoundaryMethod method)
    {
        // With the own site excluded, moving atom i at fixed density changes its l=0 feature of
        // width σf by 2√π ∇Ṽ; its l=1 feature is (√6π σf/2) ∇Ṽ in (y, z, x) order (docs/math.md, "Field features").
        // Under pbc an atom's dipole also sees its own images' field, which does not move with the
        // atom, so the periodic check uses charges only.
        using var scope = NewDisposeScope();
        var options = OptionsFor(method);
        var cell = T(TriclinicCell);
        var p = T(MoleculeCoefficients);
        if (method != BoundaryMethod.Realspace) p[.., TensorIndex.Slice(1, 4)] = 0.0;
        var positions = T(MoleculePositions).requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options, positions, cell);
        var features = plan.FieldFeatures(p);
        var yzx = tensor(new long[] { 1, 2, 0 });
        for (int w = 0; w < 2; w++)
        {
            double scale = Math.Sqrt(6) * Math.PI * options.FieldFeatureWidths[w] / 2 / (2 * Math.Sqrt(Math.PI));
            for (int i = 0; i < MoleculePositions.GetLength(0); i++)
            {
                var ownGradient = autograd.grad([features[i, w]], [positions], retain_graph: true)[0][i];
                var expected = ownGradient.index_select(0, yzx).Times(scale);
                var actual = features[i, TensorIndex.Slice(2 + 3 * w, 5 + 3 * w)];
                Assert.True(MaxAbs(actual - expected) < 1e-10, $"atom {i}, width {options.FieldFeatureWidths[w]}: {MaxAbs(actual - expected)}");
            }
        }
    }

    [Fact]
    public void CellGradientEqualsFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var options = OptionsFor(BoundaryMethod.Pbc);
        var p = T(TriclinicCoefficients);
        var positions = T(TriclinicPositions);
        var cell = T(TriclinicCell).requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options, positions, cell);
        var gradient = autograd.grad([plan.Energy(p).sum()], [cell])[0].reshape(-1).data<double>().ToArray();
        var expected = CentralDifferences(c => EnergyOf(options, positions, p, c), T(TriclinicCell), 1e-5);
        for (int i = 0; i < gradient.Length; i++) Assert.Equal(expected[i], gradient[i], 1e-8);
    }

    [Fact]
    public void ForcesCanBeDifferentiatedAgain()
    {
        // Force training needs ∂F/∂θ; here θ = the coefficients: ∂(Σ F)/∂p by double backward vs FD.
        using var scope = NewDisposeScope();
        var options = OptionsFor(BoundaryMethod.Pbc);
        var cell = T(TriclinicCell);
        var positions = T(TriclinicPositions).requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options, positions, cell);
        var p = T(TriclinicCoefficients).requires_grad_(true);
        var forces = -autograd.grad([plan.Energy(p).sum()], [positions], retain_graph: true, create_graph: true)[0];
        var direction = T(new double[] { 0.3, -0.2, 0.5 });
        var mixed = autograd.grad([(forces * direction).sum()], [p])[0].reshape(-1).data<double>().ToArray();
        var expected = CentralDifferences(x =>
        {
            var e = plan.Energy(x).sum();
            return -(autograd.grad([e], [positions], retain_graph: true)[0] * direction).sum().item<double>();
        }, T(TriclinicCoefficients), 1e-5);
        for (int i = 0; i < mixed.Length; i++) Assert.Equal(expected[i], mixed[i], 1e-8);
    }
}
