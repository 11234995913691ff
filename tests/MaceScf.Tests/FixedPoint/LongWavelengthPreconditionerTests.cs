using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Models;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FixedPoint;

/// The Kerker-type preconditioner of the implicit solves (LongWavelengthPreconditioner,
/// docs/fixed-point.md, "Forces: implicit or unrolled"): it inverts J on the long charge waves of a periodic cell, and the
/// preconditioned solves give the same solution, energy, forces and stress as the plain ones; open systems get none.
public sealed class LongWavelengthPreconditionerTests(ITestOutputHelper output)
{
    /// The 4-atom triclinic test cell repeated along its third lattice vector: a long cell with long charge waves.
    /// <param name="jitter">largest random displacement of each atom (Å, fixed seed): the copies differ, so that the long waves of the
    /// cell are excited from the start, as in a liquid</param>
    static SystemInputs LongCell(int copies, double jitter = 0)
    {
        var (positions, species) = MaceTestSystems.Molecule(4, 4);
        var cell = MaceTestSystems.TriclinicCell();
        var all = new double[4 * copies, 3];
        var random = new Random(5);
        for (int c = 0; c < copies; c++)
            for (int i = 0; i < 4; i++)
                for (int d = 0; d < 3; d++) all[4 * c + i, d] = positions[i, d] + c * cell[2, d] + jitter * (2 * random.NextDouble() - 1);
        for (int d = 0; d < 3; d++) cell[2, d] *= copies;
        var graph = MaceTestSystems.Inputs(all, Enumerable.Repeat(species, copies).SelectMany(s => s).ToArray(), cell);
        return new SystemInputs(graph, ones(1, 3, dtype: ScalarType.Bool), null, zeros(1, dtype: ScalarType.Float64));
    }

    /// A random model whose charge response is amplified 3-fold, so that the long charge waves of a 40-atom cell are slow modes
    /// (the wave's ‖J z − z‖ 8.5 instead of 2.3).
    static FixedPointModel Model(KspaceMethod kspace, BoundaryMethod method)
    {
        var hp = FixedPointTestSystems.Hyperparameters(method: method);
        return FixedPointTestSystems.Damped(hp with { Electrostatics = hp.Electrostatics with { KspaceMethod = kspace } }, 8,
            3.0);
    }

    [Theory]
    [InlineData(KspaceMethod.Ewald, BoundaryMethod.Pbc, true)]
    [InlineData(KspaceMethod.Pme, BoundaryMethod.Pbc, false)]
    [InlineData(KspaceMethod.Ewald, BoundaryMethod.Realspace, true)]
    public void ThePreconditionedSolvesGiveTheSameSolutionEnergyForcesAndStress(KspaceMethod kspace, BoundaryMethod method, bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var model = Model(kspace, method);
        bool periodic = method == BoundaryMethod.Pbc;
        var inputs = periodic ? LongCell(10) : FixedPointTestSystems.Molecule();
        Prediction Run(bool preconditioner)
        {
            model.LongWavelengthPreconditioner = preconditioner;
            return model.Predict(inputs, new PredictionRequest { Scf = FixedPointTestSystems.TightScf(constantCharge) with { Mixer = ScfMixer.Anderson }, Stress = periodic, DenseJacobianLimit = 0 });
        }
        var plain = Run(false);
        var preconditioned = Run(true);
        foreach (var p in new[] { plain, preconditioned })
            Assert.True(p.Derivation!.Method == ForcesMethod.Implicit && p.Derivation.SolvesConverged && p.Scf!.AllConverged);
        var (with, without) = (preconditioned.Derivation!.Krylov!, plain.Derivation!.Krylov!);
        output.WriteLine($"{inputs.NumAtoms} atoms, {preconditioned.Scf!.Steps[0]} updates; products forward + adjoint {without.ForwardProducts} + "
            + $"{without.AdjointProducts} plain, {with.ForwardProducts} + {with.AdjointProducts} with {with.PreconditionerModes} modes");
        Assert.Equal(0, without.PreconditionerModes);
        if (periodic) Assert.True(with.PreconditionerModes > 0 && with.AdjointProducts < without.AdjointProducts);
        else Assert.Equal(0, with.PreconditionerModes);
        output.Report("max |p_with − p_without|", MaceTestSystems.MaxDiff(preconditioned.Density!, plain.Density!), 1e-12);
        output.Report("|μ_with − μ_without| (V)", MaceTestSystems.MaxDiff(preconditioned.FermiLevel!, plain.FermiLevel!), 1e-12);
        output.Report("|E_with − E_without| (eV)", MaceTestSystems.MaxDiff(preconditioned.Energy, plain.Energy), 1e-10);
        output.Report("max |F_with − F_without| (eV/Å)", MaceTestSystems.MaxDiff(preconditioned.Forces!, plain.Forces!), 1e-10);
        if (periodic) output.Report("max |σ_with − σ_without|", MaceTestSystems.MaxDiff(preconditioned.Stress!, plain.Stress!), 1e-10);
    }

    /// The Anderson mixer preconditioned on the long charge waves (FixedPointGeometry.MixingPreconditioner) reaches the same fixed point
    /// in fewer updates on a long cell whose long waves are slow modes, at constant charge and at constant μ.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void ThePreconditionedMixerReachesTheSameFixedPointInFewerUpdates(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var model = Model(KspaceMethod.Ewald, BoundaryMethod.Pbc);
        var inputs = LongCell(10, jitter: 0.1);
        Prediction Run(bool preconditioner)
        {
            model.LongWavelengthPreconditioner = preconditioner;
            return model.Predict(inputs, new PredictionRequest { Scf = FixedPointTestSystems.TightScf(constantCharge) with { Mixer = ScfMixer.Anderson } });
        }
        var plain = Run(false);
        var preconditioned = Run(true);
        Assert.True(plain.Scf!.AllConverged && preconditioned.Scf!.AllConverged);
        output.WriteLine($"{inputs.NumAtoms} atoms: {plain.Scf.Steps[0]} updates plain, {preconditioned.Scf.Steps[0]} preconditioned");
        Assert.True(preconditioned.Scf.Steps[0] < plain.Scf.Steps[0]);
        output.Report("max |p_with − p_without|", MaceTestSystems.MaxDiff(preconditioned.Density!, plain.Density!), 1e-10);
        output.Report("|E_with − E_without| (eV)", MaceTestSystems.MaxDiff(preconditioned.Energy, plain.Energy), 1e-10);
        output.Report("max |F_with − F_without| (eV/Å)", MaceTestSystems.MaxDiff(preconditioned.Forces!, plain.Forces!), 1e-10);
    }

    /// On the longest charge wave z of the cell, J M⁻¹ z is far closer to z than J z is on the charge rows (M leaves the dipole rows'
    /// response to the wave's field alone), and Jᵀ M⁻ᵀ z than Jᵀ z: the model of the wave's potential and field response is what M inverts.
    [Fact]
    public void ThePreconditionerInvertsJOnTheLongestChargeWave()
    {
        using var scope = NewDisposeScope();
        var model = Model(KspaceMethod.Ewald, BoundaryMethod.Pbc);
        var inputs = LongCell(10);
        using var geometry = model.Prepare(inputs);
        using var noGrad = no_grad();
        var rho = geometry.LocalDensity.detach();
        long n = rho.shape[0], k = rho.shape[1];
        var mu = tensor(new[] { 0.1 }, dtype: ScalarType.Float64);
        var reference = cat([rho.flatten(), mu]);
        var regions = FermiRegions.Whole(geometry.Batch, zeros(1, dtype: ScalarType.Float64));
        var op = OneBodyOperator.At(geometry, reference, n, k, mu, regions, null);
        var preconditioner = Assert.IsType<LongWavelengthPreconditioner>(op.Preconditioner);
        var (_, _, positions, cell) = geometry.Plan.PeriodicStructures().Single();
        var longest = linalg.inv(cell).t()[.., 2].Times(2 * Math.PI);
        var z = zeros_like(reference);
        z.narrow(0, 0, n * k).view(n, k).select(1, 0).copy_(positions.matmul(longest).cos());
        z = z / z.norm();
        double Off(Tensor image) => (image - z).norm().item<double>();
        double Charge(Tensor image) => (image - z).narrow(0, 0, n * k).view(n, k).select(1, 0).norm().item<double>();
        double plain = Charge(op.Apply(z)), with = Charge(op.Apply(preconditioner.Apply(z)));
        double plainT = Off(op.ApplyTransposed(z)), withT = Off(op.ApplyTransposed(preconditioner.ApplyTransposed(z)));
        output.WriteLine($"{preconditioner.Modes} modes; charge rows of J z − z {plain:G3}, of J M⁻¹ z − z {with:G3}; ‖Jᵀ z − z‖ {plainT:G3}, ‖Jᵀ M⁻ᵀ z − z‖ {withT:G3}");
        Assert.True(with < 0.1 * plain && withT < 0.1 * plainT);
    }

    /// The preconditioner owns its tensors (docs/design.md, "Tensor lifetimes"): building it leaves only them in the caller's dispose
    /// scope (the fit's temporaries are freed), and disposing it frees them.
    [Fact]
    public void ItLeavesOnlyItsOwnTensorsInTheCallersScopeAndDisposingItFreesThem()
    {
        using var scope = NewDisposeScope();
        var model = Model(KspaceMethod.Ewald, BoundaryMethod.Pbc);
        using var geometry = model.Prepare(LongCell(10));
        using var noGrad = no_grad();
        var rho = geometry.LocalDensity.detach();
        long n = rho.shape[0], k = rho.shape[1];
        var response = geometry.UpdateResponse(rho, zeros(n, dtype: ScalarType.Float64));
        int before = scope.DisposablesCount;
        var preconditioner = LongWavelengthPreconditioner.For(geometry, response, n, k, n * k, null);
        Assert.NotNull(preconditioner);
        var tensors = preconditioner.Tensors().ToList();
        output.WriteLine($"{preconditioner.Modes} modes; {tensors.Count} tensors kept; the caller's scope grew by {scope.DisposablesCount - before}");
        Assert.Equal(tensors.Count, scope.DisposablesCount - before);
        Assert.All(tensors, t => Assert.True(scope.Contains(t) && !t.IsInvalid));
        preconditioner.Dispose();
        Assert.All(tensors, t => Assert.True(t.IsInvalid));
        Assert.Equal(before, scope.DisposablesCount);
    }

    /// The SCF owns the Anderson mixer's preconditioner: its tensors are freed when the loop ends, at constant charge and at constant μ.
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void TheScfFreesTheMixersPreconditionerWhenItsLoopEnds(bool constantCharge)
    {
        using var scope = NewDisposeScope();
        var model = Model(KspaceMethod.Ewald, BoundaryMethod.Pbc);
        var inputs = LongCell(10, jitter: 0.1);
        using var geometry = model.Prepare(inputs);
        var options = FixedPointTestSystems.TightScf(constantCharge) with { Mixer = ScfMixer.Anderson };
        var (p0, mu0, charge) = model.InitialState(geometry, inputs, options);
        var map = new RecordingMap(geometry);
        var result = ScfRunner.Run(map, options, p0, mu0, charge);
        Assert.True(result.AllConverged);
        var preconditioner = Assert.Single(map.Made);
        Assert.NotEmpty(preconditioner.Tensors());
        Assert.All(preconditioner.Tensors(), t => Assert.True(t.IsInvalid));
    }

    /// The geometry's map, recording the mixer preconditioners it makes.
    sealed class RecordingMap(FixedPointGeometry geometry) : IFixedPointMap
    {
        public List<LongWavelengthPreconditioner> Made { get; } = [];
        public Tensor LocalDensity => geometry.LocalDensity;
        public Tensor Batch => geometry.Batch;
        public int NumGraphs => geometry.NumGraphs;
        public bool ChargeResponseIsConstant => geometry.ChargeResponseIsConstant;
        public ScfStep Step(Tensor density, Tensor fermiLevel) => geometry.Step(density, fermiLevel);
        public Tensor Features(Tensor density, Tensor fermiLevel) => geometry.Features(density, fermiLevel);
        public (Tensor Update, Tensor Response) ChargeResponse(Tensor density, Tensor fermiLevel, bool createGraph) =>
            geometry.ChargeResponse(density, fermiLevel, createGraph);
        public LongWavelengthPreconditioner? MixingPreconditioner(Tensor density, Tensor fermiLevel, FermiRegions? regions)
        {
            var made = geometry.MixingPreconditioner(density, fermiLevel, regions);
            if (made is not null) Made.Add(made);
            return made;
        }
    }
}
