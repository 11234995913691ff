using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.FixedPoint;
using MaceScf.Models;
using MaceScf.Tests.Mace;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The full model: energy derivatives, charge conservation, and the SCF on the real update map.
public class FixedPointModelTests(ITestOutputHelper output)
{
    /// Forces by the default implicit derivative (matrix-free), by the dense-Jacobian implicit derivative and through the unrolled
    /// loop all equal −∂E/∂r of the converged energy (central differences).
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ForcesAreMinusFiniteDifferencesOfConvergedEnergy(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters();
        var model = FixedPointTestSystems.Model(hp, 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf(constantCharge);
        var prediction = model.Evaluate(inputs, options, computeForces: true);
        Assert.True(prediction.Scf!.AllConverged, $"SCF {prediction.Scf!.Status[0]} after {prediction.Scf!.Steps[0]} steps");
        Assert.Equal(new ForcesDerivation(ForcesMethod.Implicit, Krylov: prediction.Derivation!.Krylov), prediction.Derivation);
        output.WriteLine($"E = {prediction.Energy.item<double>():R}, steps {prediction.Scf!.Steps[0]}, Q = {prediction.TotalCharge.item<double>():R}, "
            + $"GMRES residual {prediction.Derivation.Krylov!.WorstResidual:E1}");
        var dense = ImplicitForcesTests.ImplicitForces(model, inputs, options, denseLimit: int.MaxValue);
        var unrolled = model.Evaluate(inputs, options with { ForcesMethod = ForcesMethod.Unroll }, computeForces: true);
        Assert.Equal(ForcesMethod.Unroll, unrolled.Derivation!.Method);
        var positions = MaceTestSystems.ToArray2D(inputs.Graph.Positions);
        double h = 1e-4, scale = MaceTestSystems.MaxAbs(prediction.Forces!);
        var fd = zeros_like(prediction.Forces!);
        for (int i = 0; i < positions.GetLength(0); i++)
        for (int d = 0; d < 3; d++)
        {
            double Shifted(double delta)
            {
                var x = (double[,])positions.Clone();
                x[i, d] += delta;
                var moved = inputs.WithGeometry(MaceTestSystems.Tensor2D(x), inputs.Graph.Cell);
                return FixedPointTestSystems.Energy(model, moved, options);
            }
            fd[i, d] = -(Shifted(h) - Shifted(-h)) / (2 * h);
        }
        output.Report($"implicit (GMRES): max |F − F_fd| / max |F| (constant charge {constantCharge}, |F| {scale:F3})",
            MaceTestSystems.MaxDiff(prediction.Forces!, fd) / scale, 1e-6);
        output.Report("implicit (dense J): max |F − F_fd| / max |F|", MaceTestSystems.MaxDiff(dense, fd) / scale, 1e-6);
        output.Report("unroll: max |F − F_fd| / max |F|", MaceTestSystems.MaxDiff(unrolled.Forces!, fd) / scale, 1e-6);
        output.Report("max |F_GMRES − F_dense| / max |F|", MaceTestSystems.MaxDiff(prediction.Forces!, dense) / scale, 1e-10);
        if (constantCharge) Assert.Equal(-1.0, prediction.TotalCharge.item<double>(), 1e-8);
    }

    /// The SCF loop, the fixed-point geometry and the implicit forces (GMRES) make numbers into TorchSharp Scalars at every
    /// step; predicted while another thread collects garbage without pause, energy, density, Fermi level and forces never
    /// fail and equal the prediction made before, bit for bit (docs/design.md, "Scalars").
    [Fact]
    public void PredictionIsUnaffectedByGarbageCollectionsDuringItsNativeCalls()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf();
        var reference = model.Evaluate(inputs, options);
        Assert.True(reference.Scf!.AllConverged, $"SCF {reference.Scf!.Status[0]} after {reference.Scf!.Steps[0]} steps");
        GarbageCollectionPressure.AssertUnaffected(output, "fixed-point predictions", 100, () =>
        {
            var p = model.Evaluate(inputs, options);
            return p.Energy.equal(reference.Energy).all().item<bool>() && p.Scf!.Density.equal(reference.Scf.Density).all().item<bool>()
                && p.Scf.FermiLevel.equal(reference.Scf.FermiLevel).all().item<bool>() && p.Forces!.equal(reference.Forces!).all().item<bool>();
        });
    }

    [Fact]
    public void StressIsTheStrainDerivativeOfConvergedEnergy()
    {

        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.Pbc);
        var model = FixedPointTestSystems.Model(hp, 8);
        var inputs = FixedPointTestSystems.Periodic();
        var options = FixedPointTestSystems.TightScf();
        var prediction = model.Evaluate(inputs, options, computeForces: true, computeStress: true);
        Assert.True(prediction.Scf!.AllConverged);
        Assert.Equal(ForcesMethod.Implicit, prediction.Derivation!.Method);
        double volume = linalg.det(inputs.Graph.Cell[0]).item<double>();
        double eps = 1e-5, worst = 0, scale = MaceTestSystems.MaxAbs(prediction.Stress!);
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        {
            double Strained(double delta)
            {
                var strain = eye(3, dtype: ScalarType.Float64);
                strain[i, j] = strain[i, j].Plus(delta);
                var g = inputs.Graph;
                return FixedPointTestSystems.Energy(model, inputs.WithGeometry(g.Positions.matmul(strain), g.Cell.matmul(strain)), options);
            }
            double fd = (Strained(eps) - Strained(-eps)) / (2 * eps) / volume;
            double sym = prediction.Stress![0, i, j].item<double>();
            // The analytic stress is the symmetric part; compare with the symmetrised finite difference.
            double fdT = 0;
            if (i != j)
            {
                var (a, b) = (j, i);
                double Other(double delta)
                {
                    var strain = eye(3, dtype: ScalarType.Float64);
                    strain[a, b] = strain[a, b].Plus(delta);
                    var g = inputs.Graph;
                    return FixedPointTestSystems.Energy(model, inputs.WithGeometry(g.Positions.matmul(strain), g.Cell.matmul(strain)), options);
                }
                fdT = (Other(eps) - Other(-eps)) / (2 * eps) / volume;
                fd = 0.5 * (fd + fdT);
            }
            worst = Math.Max(worst, Math.Abs(fd - sym));
        }
        output.Report($"max |σ − σ_fd| / max |σ| (|σ| {scale:E2} eV/Å³)", worst / scale, 1e-6);
    }

    [Fact]
    public void ConvergedDensityIsAFixedPointAndTheMapHasJacobianProducts()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 9);
        var inputs = FixedPointTestSystems.Molecule();
        using var geometry = model.Prepare(inputs);
        var options = FixedPointTestSystems.TightScf(constantCharge: false);
        var (p0, mu, _) = model.InitialState(geometry, inputs, options);
        var result = ScfRunner.Run(geometry, options, p0, mu);
        Assert.True(result.AllConverged);
        var muNode = result.FermiLevel.index_select(0, geometry.Batch);
        var p = result.Density.detach().requires_grad_(true);
        var mapped = geometry.Map(p, muNode);
        output.Report("fixed-point residual max |p − F(p)|", MaceTestSystems.MaxDiff(mapped, p), 1e-10);
        // vᵀ J u from the vector–Jacobian product, the Jacobian–vector product and a central difference of F along u.
        var v = Equivariant.Reference.Randn([p.shape[0], p.shape[1]], 3);
        var u = Equivariant.Reference.Randn([p.shape[0], p.shape[1]], 4);
        double h = 1e-5;
        double fd = ((geometry.Map(p.detach().Plus(u.Times(h)), muNode) - geometry.Map(p.detach() - u.Times(h), muNode)) * v).sum().item<double>() / (2 * h);
        double fromVjp = (geometry.VectorJacobianProduct(p, muNode, v) * u).sum().item<double>();
        double fromJvp = (geometry.JacobianVectorProduct(p, muNode, u) * v).sum().item<double>();
        output.Report($"|vᵀJu (VJP) − finite difference| / |vᵀJu| (vᵀJu = {fromVjp:F6})", Math.Abs(fromVjp - fd) / Math.Abs(fromVjp), 1e-7);
        output.Report("|vᵀJu (JVP) − vᵀJu (VJP)| / |vᵀJu|", Math.Abs(fromJvp - fromVjp) / Math.Abs(fromVjp), 1e-12);
        // Direct mode: one update from the data density equals F at that density.
        var step = geometry.Step(p0, muNode);
        Assert.Equal(0, MaceTestSystems.MaxDiff(geometry.LocalDensity.Plus(step.Update), geometry.Map(p0, muNode)));
    }

    [Fact]
    public void UnstableMixingIsReportedAsDivergedWithoutNaNs()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var options = new ScfOptions { ConstantCharge = false, MixingParameter = 4.0, NumScfSteps = 200 };
        var prediction = model.Evaluate(FixedPointTestSystems.Molecule(), options, computeForces: false);
        output.WriteLine($"status {prediction.Scf!.Status[0]} after {prediction.Scf!.Steps[0]} updates; history "
            + string.Join(", ", prediction.Scf!.History[0].data<double>().ToArray().Select(x => x.ToString("E1"))));
        Assert.Equal(ScfStatus.Diverged, prediction.Scf!.Status[0]);
        Assert.True(prediction.Scf!.Steps[0] < 199);
        Assert.False(prediction.Energy.isnan().any().item<bool>());
    }

    /// Unrolled without use_autograd_forces, a loop that stops early keeps no graph: the forces are those of the energy at the frozen
    /// converged density (Hellmann–Feynman-like), which differ from the full derivative because the model is not variational.
    [Fact]
    public void ForcesWithoutAutogradThroughTheLoopAreFrozenDensityForces()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf(constantCharge: false) with { UseAutogradForces = false, ForcesMethod = ForcesMethod.Unroll };
        var frozen = model.Evaluate(inputs, options);
        var full = model.Evaluate(inputs, options with { UseAutogradForces = true });
        Assert.True(frozen.Scf!.AllConverged);
        var density = frozen.Scf!.Density.detach();
        var mu = frozen.Scf!.FermiLevel.index_select(0, inputs.Graph.Batch);
        var positions = MaceTestSystems.ToArray2D(inputs.Graph.Positions);
        double h = 1e-4, worst = 0;
        for (int i = 0; i < positions.GetLength(0); i++)
        for (int d = 0; d < 3; d++)
        {
            double Energy(double delta)
            {
                using var inner = NewDisposeScope();
                var x = (double[,])positions.Clone();
                x[i, d] += delta;
                using var geometry = model.Prepare(inputs.WithGeometry(MaceTestSystems.Tensor2D(x), inputs.Graph.Cell));
                return model.Energy(geometry, density, geometry.Features(density, mu)).Total.sum().item<double>();
            }
            worst = Math.Max(worst, Math.Abs(-(Energy(h) - Energy(-h)) / (2 * h) - frozen.Forces![i, d].item<double>()));
        }
        double scale = MaceTestSystems.MaxAbs(frozen.Forces!);
        output.Report("max |F − F_fd(frozen p)| / max |F|", worst / scale, 1e-6);
        double difference = MaceTestSystems.MaxDiff(frozen.Forces!, full.Forces!);
        output.WriteLine($"max |F_frozen − F_unrolled| = {difference:E2} eV/Å");
        Assert.True(difference > 1e-4);
    }

    [Fact]
    public void Float32ModelRunsAndAgreesWithFloat64()
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters();
        var model64 = FixedPointTestSystems.Model(hp, 7);
        torch.random.manual_seed(7);
        var model32 = new FixedPointModel(hp, ScalarType.Float32);
        using (no_grad())
            foreach (var ((_, a), (_, b)) in model32.named_parameters().Zip(model64.named_parameters())) a.copy_(b);
        var options = new ScfOptions { ConstantCharge = false, MixingParameter = 0.5, ScfTolerance = 1e-5 };
        var p64 = model64.Evaluate(FixedPointTestSystems.Molecule(), options);
        var p32 = model32.Evaluate(FixedPointTestSystems.Molecule(), options);
        Assert.Equal(ScalarType.Float32, p32.Energy.dtype);
        Assert.Equal(ScalarType.Float32, p32.Scf!.Density.dtype);
        double de = Math.Abs(p32.Energy.to_type(ScalarType.Float64).item<double>() - p64.Energy.item<double>());
        output.WriteLine($"|E32 − E64| = {de:E2} eV, status {p32.Scf!.Status[0]} in {p32.Scf!.Steps[0]}");
        Assert.True(de < 1e-2, $"{de}");
    }

    /// `kspace_method auto` in a fixed-point model's plans (the SCF's and its detached twin's) resolves with the SCF's crossover
    /// (KspaceMethodNames.ScfAutoPmeThreshold): a 1,000-atom cell gets the direct sum there and the mesh in a one-evaluation plan.
    [Fact]
    public void AutoUsesTheScfThresholdInTheModelsPlans()
    {
        using var scope = NewDisposeScope();
        const int side = 10;
        const double spacing = 2.2;
        var positions = new double[side * side * side, 3];
        for (int i = 0; i < side * side * side; i++)
        {
            positions[i, 0] = spacing * (i / (side * side));
            positions[i, 1] = spacing * (i / side % side);
            positions[i, 2] = spacing * (i % side);
        }
        var species = Enumerable.Range(0, side * side * side).Select(i => (long)(i % 3 == 0 ? 1 : 0)).ToArray();
        var cell = new double[,] { { side * spacing, 0, 0 }, { 0, side * spacing, 0 }, { 0, 0, side * spacing } };
        var inputs = new SystemInputs(MaceTestSystems.Inputs(positions, species, cell), ones(1, 3, dtype: ScalarType.Bool), null,
            zeros(1, dtype: ScalarType.Float64));
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.Pbc), 8);
        Assert.Equal(KspaceMethod.Auto, model.Hyperparameters.Electrostatics.KspaceMethod);
        Assert.InRange(side * side * side, KspaceMethodNames.AutoPmeThreshold, KspaceMethodNames.ScfAutoPmeThreshold - 1);
        using var geometry = model.Prepare(inputs);
        Assert.Equal(KspaceMethod.Ewald, geometry.Plan.KspaceSetups[0]!.Method);
        using var single = new ElectrostaticsPlan(model.Hyperparameters.Electrostatics, tensor(positions), tensor(cell), ones(3, dtype: ScalarType.Bool));
        Assert.Equal(KspaceMethod.Pme, single.KspaceSetups[0]!.Method);
    }
}
