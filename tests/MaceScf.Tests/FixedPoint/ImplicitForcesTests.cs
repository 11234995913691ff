using MaceScf.Models;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// Forces and stress by implicit differentiation of the converged SCF (forces_method implicit): agreement with the unrolled
/// derivative at convergence, and the fall-back to the unroll when the SCF did not converge or the implicit solve is poor.
/// Finite-difference checks are in <see cref="FixedPointModelTests"/>.
public sealed class ImplicitForcesTests(ITestOutputHelper output)
{
    /// −∂E/∂r with the implicit derivative and a chosen dense-Jacobian limit.
    internal static Tensor ImplicitForces(FixedPointModel model, SystemInputs inputs, ScfOptions options, int denseLimit)
    {
        var prediction = model.Predict(inputs, new PredictionRequest { Scf = options, DenseJacobianLimit = denseLimit });
        Assert.Equal(ForcesMethod.Implicit, prediction.Derivation!.Method);
        Assert.Equal(denseLimit >= inputs.NumAtoms * 4 + 1, prediction.Derivation.Krylov!.WorstResidual == 0);
        return prediction.Forces!;
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ImplicitForcesAndStressAgreeWithALongUnrollAtConvergence(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.Pbc), 8);
        var inputs = FixedPointTestSystems.Periodic();
        var options = FixedPointTestSystems.TightScf(constantCharge);
        var implicitResult = model.Evaluate(inputs, options, computeForces: true, computeStress: true);
        var unrolled = model.Evaluate(inputs, options with { ForcesMethod = ForcesMethod.Unroll }, computeForces: true, computeStress: true);
        Assert.Equal(ForcesMethod.Implicit, implicitResult.Derivation!.Method);
        Assert.Equal(ForcesMethod.Unroll, unrolled.Derivation!.Method);
        output.WriteLine($"{implicitResult.Scf!.Steps[0]} updates");
        Assert.True(implicitResult.Scf!.AllConverged);
        output.Report("|E_implicit − E_unroll| (eV)", Math.Abs(implicitResult.Energy.item<double>() - unrolled.Energy.item<double>()), 1e-10);
        output.Report("max |F_implicit − F_unroll| / max |F|",
            MaceTestSystems.MaxDiff(implicitResult.Forces!, unrolled.Forces!) / MaceTestSystems.MaxAbs(unrolled.Forces!), 1e-8);
        output.Report("max |σ_implicit − σ_unroll| / max |σ|",
            MaceTestSystems.MaxDiff(implicitResult.Stress!, unrolled.Stress!) / MaceTestSystems.MaxAbs(unrolled.Stress!), 1e-8);
    }

    /// With a particle-mesh plan the matrix-free products run on the geometry's detached twin (FixedPointGeometry.ForProducts):
    /// its forces and stress equal those of the dense Jacobian (the whole map's products on the geometry itself) and of the unroll.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ParticleMeshProductsOnDetachedPositionsGiveTheDenseAndUnrolledForces(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters(method: BoundaryMethod.Pbc);
        var model = FixedPointTestSystems.Model(hp with { Electrostatics = hp.Electrostatics with { KspaceMethod = KspaceMethod.Pme } }, 8);
        var inputs = FixedPointTestSystems.Periodic();
        using (var geometry = model.Prepare(inputs)) Assert.NotNull(geometry.ForProducts());
        var options = FixedPointTestSystems.TightScf(constantCharge);
        Prediction Run(ScfOptions o, int denseLimit) =>
            model.Predict(inputs, new PredictionRequest { Scf = o, Stress = true, DenseJacobianLimit = denseLimit });
        var matrixFree = Run(options, 0);
        var dense = Run(options, 1000);
        var unrolled = Run(options with { ForcesMethod = ForcesMethod.Unroll }, 0);
        Assert.Equal(ForcesMethod.Implicit, matrixFree.Derivation!.Method);
        Assert.True(matrixFree.Derivation.Krylov!.ForwardProducts > 0 && matrixFree.Derivation.Krylov.AdjointProducts > 0);
        output.Report("max |F_matrix-free − F_dense| / max |F|", MaceTestSystems.MaxDiff(matrixFree.Forces!, dense.Forces!) / MaceTestSystems.MaxAbs(dense.Forces!), 1e-10);
        output.Report("max |σ_matrix-free − σ_dense| / max |σ|", MaceTestSystems.MaxDiff(matrixFree.Stress!, dense.Stress!) / MaceTestSystems.MaxAbs(dense.Stress!), 1e-10);
        output.Report("max |F_matrix-free − F_unroll| / max |F|", MaceTestSystems.MaxDiff(matrixFree.Forces!, unrolled.Forces!) / MaceTestSystems.MaxAbs(unrolled.Forces!), 1e-8);
    }

    /// For a one-body update the matrix-free products are graph-free (OneBodyOperator: the per-atom response A and the geometry's
    /// linear map T, never the update map's graph): the same Newton step and adjoint solve as the products of the whole map, so the
    /// same density, μ, energy, forces and stress — affine and non-linear updates, Ewald, particle mesh and open boundaries,
    /// constant charge and constant μ.
    [Theory]
    [InlineData(BlockNames.NoNonLinearity, KspaceMethod.Ewald, BoundaryMethod.Pbc, true)]
    [InlineData(BlockNames.NoNonLinearity, KspaceMethod.Ewald, BoundaryMethod.Pbc, false)]
    [InlineData(BlockNames.NoNonLinearity, KspaceMethod.Pme, BoundaryMethod.Pbc, true)]
    [InlineData(BlockNames.MLPNonLinearity, KspaceMethod.Pme, BoundaryMethod.Pbc, false)]
    [InlineData(BlockNames.MLPNonLinearity, KspaceMethod.Ewald, BoundaryMethod.Realspace, true)]
    public void GraphFreeOneBodyProductsGiveTheForcesOfTheMapProducts(string nonlinearity, KspaceMethod kspace, BoundaryMethod method, bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters(nonlinearity: nonlinearity, method: method);
        var model = FixedPointTestSystems.Model(hp with { Electrostatics = hp.Electrostatics with { KspaceMethod = kspace } }, 8);
        bool periodic = method == BoundaryMethod.Pbc;
        var inputs = periodic ? FixedPointTestSystems.Periodic() : FixedPointTestSystems.Molecule();
        Prediction Run(bool mapProducts) => model.Predict(inputs, new PredictionRequest
        {
            Scf = FixedPointTestSystems.TightScf(constantCharge), Stress = periodic, DenseJacobianLimit = 0, MapProductJacobian = mapProducts,
        });
        var graphFree = Run(false);
        var map = Run(true);
        foreach (var p in new[] { graphFree, map })
        {
            Assert.Equal(ForcesMethod.Implicit, p.Derivation!.Method);
            Assert.True(p.Derivation.Krylov!.ForwardProducts > 0 && p.Derivation.Krylov.AdjointProducts > 0 && p.Derivation.SolvesConverged);
        }
        output.WriteLine($"{graphFree.Scf!.Steps[0]} updates; products forward/adjoint {graphFree.Derivation!.Krylov!.ForwardProducts}/"
            + $"{graphFree.Derivation.Krylov.AdjointProducts} graph-free, {map.Derivation!.Krylov!.ForwardProducts}/{map.Derivation.Krylov.AdjointProducts} map");
        output.Report("max |p_graph-free − p_map|", MaceTestSystems.MaxDiff(graphFree.Density!, map.Density!), 1e-12);
        output.Report("|μ_graph-free − μ_map| (V)", MaceTestSystems.MaxDiff(graphFree.FermiLevel!, map.FermiLevel!), 1e-12);
        output.Report("|E_graph-free − E_map| (eV)", MaceTestSystems.MaxDiff(graphFree.Energy, map.Energy), 1e-10);
        output.Report("max |F_graph-free − F_map| (eV/Å)", MaceTestSystems.MaxDiff(graphFree.Forces!, map.Forces!), 1e-10);
        if (periodic) output.Report("max |σ_graph-free − σ_map|", MaceTestSystems.MaxDiff(graphFree.Stress!, map.Stress!), 1e-10);
        if (constantCharge)
            output.Report("|Q − Q_target| (e)", Math.Abs(graphFree.TotalCharge!.sum().item<double>() - inputs.TotalCharge!.sum().item<double>()), 1e-12);
    }

    [Fact]
    public void AnUnconvergedScfIsDifferentiatedByTheUnrollAndReported()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf() with { NumScfSteps = 4 };
        var fallback = model.Evaluate(inputs, options);
        Assert.Equal(ScfStatus.MaxStepsReached, fallback.Scf!.Status[0]);
        Assert.Equal(new ForcesDerivation(ForcesMethod.Unroll, "SCF not converged"), fallback.Derivation);
        var unrolled = model.Evaluate(inputs, options with { ForcesMethod = ForcesMethod.Unroll });
        Assert.Equal(0, MaceTestSystems.MaxDiff(fallback.Forces!, unrolled.Forces!));
        Assert.Equal(0, MaceTestSystems.MaxDiff(fallback.Energy, unrolled.Energy));
        // An implicit derivative would be that of the converged solution, visibly different after 3 updates.
        var converged = model.Evaluate(inputs, FixedPointTestSystems.TightScf());
        Assert.Equal(ForcesMethod.Implicit, converged.Derivation!.Method);
        double difference = MaceTestSystems.MaxDiff(converged.Forces!, fallback.Forces!);
        output.WriteLine($"max |F(3 updates, unrolled) − F(converged)| = {difference:E2} eV/Å");
        Assert.True(difference > 1e-4);
    }

    /// A loose tolerance declares a non-linear model converged far from its fixed point: one Newton step does not reach it
    /// (residual above LinearizedSolution.DensityResidualLimit), so the batch is differentiated through the unrolled SCF.
    [Fact]
    public void APoorImplicitSolveFallsBackToTheUnrollAndIsReported()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(nonlinearity: BlockNames.MLPNonLinearity), 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf(constantCharge: false) with { ScfTolerance = 0.01 };
        var fallback = model.Evaluate(inputs, options, computeForces: true);
        output.WriteLine($"{fallback.Scf!.Status[0]} after {fallback.Scf!.Steps[0]} updates");
        Assert.Equal(ScfStatus.Converged, fallback.Scf!.Status[0]);
        Assert.Equal(new ForcesDerivation(ForcesMethod.Unroll, "implicit solve poor"), fallback.Derivation);
        var unrolled = model.Evaluate(inputs, options with { ForcesMethod = ForcesMethod.Unroll }, computeForces: true);
        Assert.Equal(0, MaceTestSystems.MaxDiff(fallback.Forces!, unrolled.Forces!));
        Assert.Equal(0, MaceTestSystems.MaxDiff(fallback.Scf!.Density, unrolled.Scf!.Density));
        // Converged tightly, the same model is differentiated implicitly.
        Assert.Equal(ForcesMethod.Implicit, model.Evaluate(inputs, options with { ScfTolerance = 1e-13 }).Derivation!.Method);
    }
}
