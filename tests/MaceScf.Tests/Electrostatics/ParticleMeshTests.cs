using MaceScf.Electrostatics;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// Particle-mesh Ewald against the direct reciprocal sum (converged with a large cutoff factor).
public class ParticleMeshTests
{
    static ElectrostaticsOptions Options(BoundaryMethod method, int maxL) => new()
    {
        Method = method, DensityMaxL = maxL, FieldFeatureMaxL = maxL, FieldFeatureWidths = [1.0, 2.0],
    };

    /// Random atoms in a random triclinic cell with random multipoles; charged unless neutral.
    static (Tensor Positions, Tensor Cell, Tensor P) RandomSystem(int atoms, int maxL, int seed, bool slab = false, bool neutral = false)
    {
        var generator = new Generator((ulong)seed);
        var cell = slab
            ? T(new double[,] { { 11, 0, 0 }, { 2.0, 10, 0 }, { 0, 0, 24 } })
            : T(new double[,] { { 10, 0, 0 }, { 1.5, 9.5, 0 }, { -1.0, 2.0, 11 } }).Plus(rand(3, 3, dtype: float64, generator: generator).tril().Times(0.5));
        var fractional = rand(atoms, 3, dtype: float64, generator: generator);
        if (slab) fractional[.., 2] = fractional[.., 2].Times(0.4).Plus(0.3);
        var positions = fractional.matmul(cell).Plus((rand(atoms, 3, dtype: float64, generator: generator).Minus(0.5)).Times(3).Times((slab ? 0 : 1)));
        var p = (rand(atoms, (maxL + 1) * (maxL + 1), dtype: float64, generator: generator).Minus(0.5));
        p[.., 0] = p[.., 0].Times(2);
        if (neutral) p[.., 0] = p[.., 0] - p[.., 0].mean();
        return (positions, cell, p);
    }

    record Result(double Energy, Tensor Forces, Tensor Features, Tensor Potential);

    static Result Evaluate(ElectrostaticsOptions options, Tensor positions, Tensor cell, Tensor p)
    {
        var x = positions.detach().clone().requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options, x, cell);
        var energy = plan.Energy(p).sum();
        var forces = -autograd.grad([energy], [x])[0];
        return new Result(energy.item<double>(), forces, plan.FieldFeatures(p).detach(), plan.Potential(p).detach());
    }

    [Theory]
    [InlineData(BoundaryMethod.Pbc, 0, 1)]
    [InlineData(BoundaryMethod.Pbc, 1, 2)]
    [InlineData(BoundaryMethod.Pbc, 2, 3)]
    [InlineData(BoundaryMethod.Slab, 2, 4)]
    [InlineData(BoundaryMethod.MoleculeInBox, 1, 5)]
    public void MeshEqualsTheDirectSum(BoundaryMethod method, int maxL, int seed)
    {
        using var scope = NewDisposeScope();
        var (positions, cell, p) = RandomSystem(24, maxL, seed, slab: method == BoundaryMethod.Slab);
        var options = Options(method, maxL);
        var mesh = Evaluate(options with { KspaceMethod = KspaceMethod.Pme }, positions, cell, p);
        var direct = Evaluate(options with { KspaceMethod = KspaceMethod.Ewald, KspaceCutoffFactor = 2.0 }, positions, cell, p);
        double energyError = Math.Abs(mesh.Energy - direct.Energy) / Math.Abs(direct.Energy);
        double forceError = MaxAbs(mesh.Forces - direct.Forces);
        double featureError = ((mesh.Features - direct.Features).Squared().mean() / direct.Features.Squared().mean()).sqrt().item<double>();
        double potentialError = MaxAbs(mesh.Potential - direct.Potential);
        Assert.True(energyError < 1e-6, $"relative energy error {energyError:E2}");
        Assert.True(forceError < 1e-5, $"force error {forceError:E2} eV/Å");
        Assert.True(featureError < 1e-6, $"relative RMS feature error {featureError:E2}");
        Assert.True(potentialError < 1e-4, $"potential error {potentialError:E2} V");
    }

    static ElectrostaticsOptions Mesh(BoundaryMethod method = BoundaryMethod.Pbc, int maxL = 1) =>
        Options(method, maxL) with { KspaceMethod = KspaceMethod.Pme };

    [Fact]
    public void TheMeshIsUsedAsChosenAndRecorded()
    {
        using var scope = NewDisposeScope();
        var (positions, cell, _) = RandomSystem(8, 1, 6);
        using var mesh = new ElectrostaticsPlan(Mesh(), positions, cell);
        var setup = mesh.KspaceSetups[0]!;
        var parameters = MeshParameters.Choose(Mesh());
        Assert.Equal(KspaceMethod.Pme, setup.Method);
        Assert.Equal(parameters, setup.Mesh);
        Assert.True(parameters.EstimatedError <= 1e-6);
        var lengths = cell.norm(1).data<double>().ToArray();
        for (int d = 0; d < 3; d++) Assert.True(setup.Grid![d] >= lengths[d] / parameters.Spacing, $"grid {setup.Grid[d]} along a length of {lengths[d]} Å");
        Assert.Contains("pme, grid ", mesh.Describe(0));
        // auto: the direct sum for small structures, the mesh from the threshold on.
        using var small = new ElectrostaticsPlan(Options(BoundaryMethod.Pbc, 1), positions, cell);
        Assert.Equal(KspaceMethod.Ewald, small.KspaceSetups[0]!.Method);
        Assert.Equal(KspaceMethod.Pme, KspaceMethod.Auto.Resolve(KspaceMethodNames.AutoPmeThreshold));
        Assert.Equal(KspaceMethod.Ewald, KspaceMethod.Auto.Resolve(KspaceMethodNames.AutoPmeThreshold - 1));
        // The SCF's threshold (a fixed-point model's plans): the direct sum up to the measured crossover.
        Assert.Equal(KspaceMethod.Pme, KspaceMethod.Auto.Resolve(KspaceMethodNames.ScfAutoPmeThreshold, KspaceMethodNames.ScfAutoPmeThreshold));
        Assert.Equal(KspaceMethod.Ewald, KspaceMethod.Auto.Resolve(KspaceMethodNames.ScfAutoPmeThreshold - 1, KspaceMethodNames.ScfAutoPmeThreshold));
        Assert.Equal(KspaceMethod.Ewald, KspaceMethod.Auto.Resolve(1500, KspaceMethodNames.ScfAutoPmeThreshold));
        using var atThreshold = new ElectrostaticsPlan(Options(BoundaryMethod.Pbc, 1), positions, cell, autoPmeThreshold: 8);
        Assert.Equal(KspaceMethod.Pme, atThreshold.KspaceSetups[0]!.Method);
        using var belowThreshold = new ElectrostaticsPlan(Options(BoundaryMethod.Pbc, 1), positions, cell, autoPmeThreshold: 9);
        Assert.Equal(KspaceMethod.Ewald, belowThreshold.KspaceSetups[0]!.Method);
    }

    [Fact]
    public void ATighterAccuracyGivesAFinerMeshAndASmallerError()
    {
        using var scope = NewDisposeScope();
        var (positions, cell, p) = RandomSystem(16, 1, 7);
        var direct = Evaluate(Options(BoundaryMethod.Pbc, 1) with { KspaceCutoffFactor = 2.0 }, positions, cell, p);
        double previousError = double.MaxValue;
        foreach (double accuracy in new[] { 1e-3, 1e-5, 1e-7 })
        {
            var options = Mesh() with { ElectrostaticsAccuracy = accuracy };
            var parameters = MeshParameters.Choose(options);
            var mesh = Evaluate(options, positions, cell, p);
            double forceError = ((mesh.Forces - direct.Forces).Squared().mean() / direct.Forces.Squared().mean()).sqrt().item<double>();
            Assert.True(forceError < accuracy, $"accuracy {accuracy}: relative RMS force error {forceError:E2}");
            Assert.True(parameters.EstimatedError <= accuracy);
            Assert.True(forceError < previousError, $"accuracy {accuracy}: error {forceError:E2} did not decrease from {previousError:E2}");
            previousError = forceError;
        }
    }

    [Fact]
    public void EnergyIsInvariantUnderRotationAndTranslation()
    {
        using var scope = NewDisposeScope();
        var (positions, cell, p) = RandomSystem(16, 1, 8);
        var options = Mesh();
        double energy = EnergyOf(options, positions, p, cell);
        // Rotating positions, cell and dipoles together leaves the fractional coordinates and |k| unchanged: exact.
        double angle = 0.7;
        var rotation = T(new double[,] { { Math.Cos(angle), -Math.Sin(angle), 0 }, { Math.Sin(angle), Math.Cos(angle), 0 }, { 0, 0, 1 } })
            .matmul(T(new double[,] { { 1, 0, 0 }, { 0, Math.Cos(0.4), -Math.Sin(0.4) }, { 0, Math.Sin(0.4), Math.Cos(0.4) } }));
        var cartesian = p[.., TensorIndex.Tensor(tensor(new long[] { 3, 1, 2 }))];              // (x, y, z) from (y, z, x)
        var rotatedDipoles = cartesian.matmul(rotation.T)[.., TensorIndex.Tensor(tensor(new long[] { 1, 2, 0 }))];
        var rotatedP = cat(new[] { p[.., TensorIndex.Slice(0, 1)], rotatedDipoles }, 1);
        double rotated = EnergyOf(options, positions.matmul(rotation.T), rotatedP, cell.matmul(rotation.T));
        Assert.Equal(energy, rotated, 1e-10 * Math.Abs(energy));
        // A translation moves the atoms relative to the grid: invariant to the accuracy of the mesh.
        double translated = EnergyOf(options, positions.Plus(T(new[] { 0.3117, -0.2049, 0.1733 })), p, cell);
        Assert.True(Math.Abs(translated - energy) < 1e-6 * Math.Abs(energy), $"translation changed E by {translated - energy:E2}");
    }

    [Theory]
    [InlineData(BoundaryMethod.Pbc)]
    [InlineData(BoundaryMethod.Slab)]
    public void StressEqualsFiniteDifferencesOfTheStrainedEnergy(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var (positions, cell, p) = RandomSystem(12, 2, 9, slab: method == BoundaryMethod.Slab);
        var options = Mesh(method, 2);
        double Strained(Tensor strain)
        {
            if (method == BoundaryMethod.Slab) strain = strain * T(new double[,] { { 1, 1, 0 }, { 1, 1, 0 }, { 1, 1, 1 } });
            var deformation = eye(3, dtype: float64).Plus(strain);
            return EnergyOf(options, positions.matmul(deformation), p, cell.matmul(deformation));
        }
        var epsilon = zeros(3, 3, dtype: float64).requires_grad_(true);
        var deformation = eye(3, dtype: float64).Plus(epsilon);
        using var plan = new ElectrostaticsPlan(options, positions.matmul(deformation), cell.matmul(deformation));
        var derivative = autograd.grad([plan.Energy(p).sum()], [epsilon])[0].reshape(-1).data<double>().ToArray();
        var expected = CentralDifferences(Strained, zeros(3, 3, dtype: float64), 1e-5);
        // A slab keeps its first two lattice vectors in the xy plane: no xz, yz shear.
        for (int i = 0; i < 9; i++)
            if (method != BoundaryMethod.Slab || (i != 2 && i != 5)) Assert.Equal(expected[i], derivative[i], 1e-6);
    }

    [Fact]
    public void ForcesCanBeDifferentiatedAgain()
    {
        // Force training differentiates the forces with respect to the density (and through it the weights).
        using var scope = NewDisposeScope();
        var (positions, cell, p0) = RandomSystem(10, 1, 10);
        var options = Mesh();
        double ForceSquare(Tensor p, Tensor at)
        {
            var x = at.detach().clone().requires_grad_(true);
            using var plan = new ElectrostaticsPlan(options, x, cell);
            var forces = autograd.grad([plan.Energy(p).sum()], [x])[0];
            return forces.Squared().sum().item<double>();
        }
        var p = p0.detach().clone().requires_grad_(true);
        var x = positions.detach().clone().requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options, x, cell);
        var forces = autograd.grad([plan.Energy(p).sum()], [x], retain_graph: true, create_graph: true)[0];
        var gradient = autograd.grad([forces.Squared().sum()], [p], retain_graph: true)[0].reshape(-1).data<double>().ToArray();
        // Finite differences for the first two atoms' coefficients and positions.
        var expected = CentralDifferences(q => ForceSquare(cat(new[] { q, p0[TensorIndex.Slice(2)] }, 0), positions), p0[TensorIndex.Slice(0, 2)], 1e-5);
        for (int i = 0; i < expected.Length; i++) Assert.Equal(expected[i], gradient[i], 1e-6 * Math.Max(1, Math.Abs(expected[i])));
        // and with respect to the positions (through the force constants).
        var second = autograd.grad([forces.Squared().sum()], [x])[0].reshape(-1).data<double>().ToArray();
        var expectedSecond = CentralDifferences(y => ForceSquare(p0, cat(new[] { y, positions[TensorIndex.Slice(2)] }, 0)), positions[TensorIndex.Slice(0, 2)], 1e-5);
        for (int i = 0; i < expectedSecond.Length; i++) Assert.Equal(expectedSecond[i], second[i], 1e-5 * Math.Max(1, Math.Abs(expectedSecond[i])));
    }

    /// A plan built at a fixed geometry (positions and cell without gradients: the SCF's steps and implicit products) keeps its
    /// stencil; its energy, field features and potential and their gradients in the density equal those of the plan whose
    /// stencil is rebuilt at every use because the positions are differentiated.
    [Theory]
    [InlineData(BoundaryMethod.Pbc, 2, 21)]
    [InlineData(BoundaryMethod.Slab, 1, 22)]
    public void TheFixedGeometryPlanEqualsTheDifferentiatedOne(BoundaryMethod method, int maxL, int seed)
    {
        using var scope = NewDisposeScope();
        var (positions, cell, p0) = RandomSystem(30, maxL, seed, slab: method == BoundaryMethod.Slab);
        var options = Mesh(method, maxL);
        var weights = rand(30, new FieldFeatureLayout(options).Count, dtype: float64, generator: new Generator(3));
        (Tensor Values, Tensor Gradient) Run(ElectrostaticsPlan plan)
        {
            var p = p0.detach().clone().requires_grad_(true);
            var values = cat(new[] { plan.Energy(p), plan.FieldFeatures(p).reshape(-1), plan.Potential(p) }, 0);
            var scalar = plan.Energy(p).sum().Plus((plan.FieldFeatures(p) * weights).sum()).Plus(plan.Potential(p).Squared().sum());
            return (values.detach(), autograd.grad([scalar], [p])[0]);
        }
        using var differentiated = new ElectrostaticsPlan(options, positions.detach().clone().requires_grad_(true), cell);
        using var fixedGeometry = new ElectrostaticsPlan(options, positions, cell);
        var reference = Run(differentiated);
        for (int call = 0; call < 2; call++)
        {
            var result = Run(fixedGeometry);
            Assert.True(MaxAbs(result.Values - reference.Values) <= 1e-13 * MaxAbs(reference.Values), $"values, call {call}: {MaxAbs(result.Values - reference.Values):E2}");
            Assert.True(MaxAbs(result.Gradient - reference.Gradient) <= 1e-13 * MaxAbs(reference.Gradient), $"gradient, call {call}: {MaxAbs(result.Gradient - reference.Gradient):E2}");
        }
    }
    /// At a fixed geometry the field features are an explicit linear operator A of the density (<see cref="MeshOperator"/>): its
    /// transpose Aᵀ, the product the implicit solves' adjoint takes, equals autograd's vector–Jacobian product through the
    /// spreading, FFTs and interpolation of the mesh rebuilt on differentiated positions, and ⟨g, A u⟩ = ⟨Aᵀ g, u⟩. The plan's
    /// features (mesh, self term, the slab's correction) differentiated in p once go through the explicit node and equal the
    /// differentiated plan's; differentiated twice (a Jacobian–vector product by double backward) they give A u.
    [Theory]
    [InlineData(BoundaryMethod.Pbc, 2, new[] { 0.8, 1.5, 3.0 }, false, 31)]
    [InlineData(BoundaryMethod.Pbc, 1, new[] { 1.0, 2.0 }, true, 32)]
    [InlineData(BoundaryMethod.Slab, 1, new[] { 1.2 }, false, 33)]
    [InlineData(BoundaryMethod.Pbc, 0, new[] { 1.0, 2.5 }, false, 34)]
    public void TheExplicitTransposeEqualsAutogradsVectorJacobianProduct(BoundaryMethod method, int maxL, double[] widths, bool neutral, int seed)
    {
        using var scope = NewDisposeScope();
        var (positions, cell, p0) = RandomSystem(30, maxL, seed, slab: method == BoundaryMethod.Slab, neutral: neutral);
        var options = Mesh(method, maxL) with { FieldFeatureWidths = widths };
        var layout = new FieldFeatureLayout(options);
        var generator = new Generator((ulong)seed + 100);
        long n = p0.shape[0], c = p0.shape[1], f = layout.Count;
        var g = rand(n, f, dtype: float64, generator: generator).Minus(0.5);
        var u = rand(n, c, dtype: float64, generator: generator).Minus(0.5);
        void Close(Tensor actual, Tensor expected, string what) =>
            Assert.True(MaxAbs(actual - expected) <= 1e-12 * MaxAbs(expected), $"{what}: {MaxAbs(actual - expected):E2} of {MaxAbs(expected):E2}");

        using var mesh = new ParticleMeshSum(options, layout, positions, cell, MeshParameters.Choose(options));
        var op = mesh.FixedOperator(c);
        Assert.NotNull(op);
        var transposed = op.Apply(g, transposed: true);
        using var differentiated = new ParticleMeshSum(options, layout, positions.detach().clone().requires_grad_(true), cell, MeshParameters.Choose(options));
        Assert.Null(differentiated.FixedOperator(c));
        var p = zeros(n, c, dtype: float64).requires_grad_(true);
        Close(transposed, autograd.grad([differentiated.Features(p)], [p], [g])[0], "Aᵀ g against autograd");
        Close(op.Apply(u, transposed: false), differentiated.Features(u).detach(), "A u");
        double left = (g * op.Apply(u, transposed: false)).sum().item<double>(), right = (transposed * u).sum().item<double>();
        Assert.True(Math.Abs(left - right) <= 1e-12 * Math.Abs(left), $"<g, A u> = {left:R}, <Aᵀ g, u> = {right:R}");

        using var plan = new ElectrostaticsPlan(options, positions, cell);
        using var differentiatedPlan = new ElectrostaticsPlan(options, positions.detach().clone().requires_grad_(true), cell);
        var q = p0.detach().clone().requires_grad_(true);
        var w = zeros(n, f, dtype: float64).requires_grad_(true);
        var vjp = autograd.grad([plan.FieldFeatures(q)], [q], [w], create_graph: true)[0];
        Close(autograd.grad([vjp], [w], [u])[0], differentiatedPlan.FieldFeatures(u).detach(), "the plan's A u by double backward");
        Close(autograd.grad([plan.FieldFeatures(q)], [q], [g])[0], autograd.grad([differentiatedPlan.FieldFeatures(q)], [q], [g])[0], "the plan's Aᵀ g");
    }
}
