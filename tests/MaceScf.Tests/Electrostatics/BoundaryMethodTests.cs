using MaceScf.Electrostatics;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// Boundary corrections, their limits, self-interaction bookkeeping and method dispatch.
public class BoundaryMethodTests
{
    const double Ke = CoulombConstants.CoulombConstant;

    [Fact]
    public void MoleculeInBoxPairMatchesTheReferenceAndTheOpenValue()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions
        {
            SmearingWidth = 0.5, DensityMaxL = 0, FieldFeatureMaxL = 0, FieldFeatureWidths = [1.0],
            KspaceCutoffFactor = 2.0, Method = BoundaryMethod.MoleculeInBox, IncludeSelfInteraction = false,
        };
        var positions = T(new double[,] { { 13, 15, 15 }, { 17, 15, 15 } });
        var p = T(new double[,] { { 0.7 }, { -0.7 } });
        double box = EnergyOf(options, positions, p, Cubic(30));
        double periodic = EnergyOf(options with { Method = BoundaryMethod.Pbc }, positions, p, Cubic(30));
        Assert.Equal(-1.7729455567, periodic, 1e-9);
        Assert.Equal(-1.7641884083, box, 1e-9);
        Assert.Equal(-1.7639565286, box, 5e-4);   // the open-boundary value
    }

    [Theory]
    [InlineData(20.0, -4.0802895646, 0.0339283650)]
    [InlineData(40.0, -4.0495263026, 0.0042410456)]
    public void MoleculeInBoxCorrectionOfAPairMatchesTheReference(double box, double periodicReference, double correctionReference)
    {
        // ±1 e at 3 Å, σ = 1.5, k_c = 1.25·k_heur([1.5], L = 0) = 1.875 Å⁻¹.
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions
        {
            Method = BoundaryMethod.Pbc, IncludeSelfInteraction = false, DensityMaxL = 0, FieldFeatureMaxL = 0, FieldFeatureWidths = [1.5],
        };
        var positions = T(new double[,] { { -1.5, 0, 0 }, { 1.5, 0, 0 } }).Plus(box / 2);
        var p = T(new double[,] { { 1 }, { -1 } });
        double periodic = EnergyOf(options, positions, p, Cubic(box));
        double corrected = EnergyOf(options with { Method = BoundaryMethod.MoleculeInBox }, positions, p, Cubic(box));
        Assert.Equal(periodicReference, periodic, 1e-9);
        Assert.Equal(correctionReference, corrected - periodic, 1e-9);
    }

    [Fact]
    public void RealspaceRefusesCoincidentAtomsByName()
    {
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Realspace };
        var positions = T(new double[,] { { 0, 0, 0 }, { 1.5, 0, 0 }, { 0, 2, 0 }, { 1.5, 0, 1e-5 } });
        var error = Assert.Throws<StructureGeometryException>(() => new ElectrostaticsPlan(options, positions));
        Assert.Equal(0, error.Structure);
        Assert.Contains("atoms 1 and 3 are 1E-05 Å apart", error.Message);
        // Just above the limit the energy is finite.
        using var plan = new ElectrostaticsPlan(options, T(new double[,] { { 0, 0, 0 }, { 1.5, 0, 0 }, { 0, 2, 0 }, { 1.5, 0, 2e-3 } }));
        Assert.True(double.IsFinite(plan.Energy(T(new double[,] { { 1, 0.1, 0, 0 }, { -1, 0, 0.1, 0 }, { 0.5, 0, 0, 0.1 }, { -0.5, 0.1, 0.1, 0 } })).sum().item<double>()));
    }

    [Fact]
    public void RealspaceAndMoleculeInBoxAgreeInAGrowingBox()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { KspaceCutoffFactor = 2.0 };
        var p = T(MoleculeCoefficients);
        var open = Evaluate(options with { Method = BoundaryMethod.Realspace }, T(MoleculePositions), p, null);
        var previous = double.MaxValue;
        foreach (double a in new[] { 16.0, 24.0, 36.0 })
        {
            var centred = T(MoleculePositions).Plus(a / 2);
            var box = Evaluate(options with { Method = BoundaryMethod.MoleculeInBox }, centred, p, Cubic(a));
            double energyError = Math.Abs(box.Energy - open.Energy);
            double featureError = MaxAbs(box.Features - open.Features);
            Assert.True(energyError < previous, $"a = {a}: |ΔE| = {energyError} did not decrease from {previous}");
            previous = energyError;
            if (a == 36.0)
            {
                Assert.True(energyError < 2e-5, $"|ΔE| = {energyError}");
                Assert.True(featureError < 1e-3, $"max |Δfeature| = {featureError}");
            }
        }
    }

    [Fact]
    public void SlabEnergyConvergesToTheLargeVacuumLimit()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Slab };
        var positions = T(new double[,] { { 0.5, 0.3, 1.0 }, { 2.6, 2.4, 2.1 }, { 1.2, 3.6, 3.0 } });
        var p = T(new double[,] { { 0.6, 0.02, 0.1, -0.03 }, { -0.4, 0.0, -0.05, 0.04 }, { -0.2, 0.03, 0.02, 0.0 } });
        Tensor SlabCell(double c) => T(new double[,] { { 4.5, 0, 0 }, { 1.5, 4.2, 0 }, { 0, 0, c } });
        double limit = EnergyOf(options, positions, p, SlabCell(240));
        double slab40 = EnergyOf(options, positions, p, SlabCell(40)), slab80 = EnergyOf(options, positions, p, SlabCell(80));
        double pbc40 = EnergyOf(options with { Method = BoundaryMethod.Pbc }, positions, p, SlabCell(40));
        Assert.True(Math.Abs(slab80 - limit) < Math.Abs(slab40 - limit), $"{slab40} {slab80} → {limit}");
        Assert.True(Math.Abs(slab80 - limit) < 2e-4, $"slab 80 Å: {slab80}, limit {limit}");
        Assert.True(Math.Abs(pbc40 - limit) > 10 * Math.Abs(slab40 - limit), $"uncorrected {pbc40}, corrected {slab40}, limit {limit}");
    }

    public static TheoryData<BoundaryMethod> Methods =>
        [BoundaryMethod.Realspace, BoundaryMethod.Pbc, BoundaryMethod.Slab, BoundaryMethod.MoleculeInBox];

    [Theory]
    [MemberData(nameof(Methods))]
    public void SelfInteractionDifferencesEqualTheClosedForms(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        double sigma = 1.5;
        var options = new ElectrostaticsOptions { Method = method, SmearingWidth = sigma, IncludeSelfInteraction = false };
        var withSelf = options with { IncludeSelfInteraction = true, IncludeFieldSelfInteraction = true };
        var positions = T(MoleculePositions).Plus(6);
        var p = T(MoleculeCoefficients);
        var a = Evaluate(options, positions, p, T(TriclinicCell));
        var b = Evaluate(withSelf, positions, p, T(TriclinicCell));
        var q = p[.., 0];
        var d2 = p[.., TensorIndex.Slice(1, 4)].Squared().sum(1);
        double expected = ((q.Squared().Times(Ke / (sigma * Math.Sqrt(Math.PI))).Plus(d2.Times(Ke / (6 * Math.Sqrt(Math.PI) * Math.Pow(sigma, 3))))).Times(0.5)).sum().item<double>();
        Assert.Equal(expected, b.Energy - a.Energy, 1e-11);
        double[] widths = [1.0, 2.0];
        var columns = new List<Tensor>();
        foreach (var w in widths) columns.Add(q.unsqueeze(1).Times(2 * Math.Sqrt(2) * Ke / Math.Sqrt(sigma * sigma + w * w)));
        foreach (var w in widths)
            columns.Add(p[.., TensorIndex.Slice(1, 4)].Times(Ke * w * Math.Sqrt(Math.PI / 3) / Math.Pow(sigma * sigma + w * w, 1.5)));
        Assert.True(MaxAbs(b.Features - a.Features - cat(columns, 1)) < 1e-11);
    }

    [Fact]
    public void CorrectionPotentialsAreTheChargeDerivativesOfTheCorrectionEnergies()
    {
        // ∂E/∂p_ilm = ∫ V φ_lm(r − r_i): the feature of width σ with the own site included, rescaled
        // from the receiver to the density normalisation (φ = C_rec/C_mp ψ). This ties the
        // correction potentials and fields to the correction energies.
        using var scope = NewDisposeScope();
        foreach (var method in new[] { BoundaryMethod.Slab, BoundaryMethod.MoleculeInBox })
        {
            var options = new ElectrostaticsOptions
            {
                Method = method, SmearingWidth = 1.5, FieldFeatureWidths = [1.5], IncludeFieldSelfInteraction = true,
            };
            using var plan = new ElectrostaticsPlan(options, T(MoleculePositions).Plus(5), Cubic(14));
            var p = T(MoleculeCoefficients).requires_grad_(true);
            var gradient = autograd.grad([plan.Energy(p).sum()], [p])[0];
            var features = plan.FieldFeatures(p);
            var chargeScale = GaussianMultipoleBasis.ReceiverNormalisation(0, 1.5) / GaussianMultipoleBasis.MultipoleNormalisation(0, 1.5);
            var dipoleScale = GaussianMultipoleBasis.ReceiverNormalisation(1, 1.5) / GaussianMultipoleBasis.MultipoleNormalisation(1, 1.5);
            var expected = cat(new[] { features[.., TensorIndex.Slice(0, 1)].Times(chargeScale), features[.., TensorIndex.Slice(1, 4)].Times(dipoleScale) }, 1);
            Assert.True(MaxAbs(gradient - expected) < 1e-10, $"{method}: {MaxAbs(gradient - expected)}");
        }
    }

    [Fact]
    public void MixedPeriodicPicksTheMethodFromThePbcFlags()
    {
        bool[][] flags = [[false, false, false], [true, true, false], [true, true, true], [true, false, false]];
        Assert.Equal(
            [BoundaryMethod.MoleculeInBox, BoundaryMethod.Slab, BoundaryMethod.Pbc, BoundaryMethod.Pbc],
            ElectrostaticsPlan.ResolveMethods(BoundaryMethod.MixedPeriodic, flags));
        Assert.Equal([BoundaryMethod.Realspace, BoundaryMethod.Realspace],
            ElectrostaticsPlan.ResolveMethods(BoundaryMethod.Auto, [[false, false, false], [false, false, false]]));
        Assert.Equal([BoundaryMethod.MoleculeInBox, BoundaryMethod.Slab],
            ElectrostaticsPlan.ResolveMethods(BoundaryMethod.Auto, [[false, false, false], [true, true, false]]));
        Assert.Equal([BoundaryMethod.Slab], ElectrostaticsPlan.ResolveMethods(BoundaryMethod.Slab, [[true, true, true]]));
        Assert.Equal(BoundaryMethod.MoleculeInBox, BoundaryMethodNames.Parse("molecule_in_box"));
        Assert.Equal("mixed_periodic", BoundaryMethod.MixedPeriodic.ToName());
        Assert.Throws<ArgumentException>(() => BoundaryMethodNames.Parse("ewald"));
    }

    [Fact]
    public void AutoWithoutPeriodicDirectionsIsRealspace()
    {
        using var scope = NewDisposeScope();
        var p = T(MoleculeCoefficients);
        using var auto = new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Auto }, T(MoleculePositions), pbc: Pbc(false, false, false));
        using var open = new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Realspace }, T(MoleculePositions));
        Assert.Equal([BoundaryMethod.Realspace], auto.Methods);
        Assert.Equal(0, auto.KVectorCount);
        Assert.Equal(Scalar(open.Energy(p)), Scalar(auto.Energy(p)), 1e-14);
    }

    [Fact]
    public void BatchedStructuresEqualSeparateEvaluations()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions();   // mixed_periodic
        var posA = T(TriclinicPositions);
        var posB = T(MoleculePositions).Plus(7);
        var pA = T(TriclinicCoefficients);
        var pB = T(MoleculeCoefficients);
        var positions = cat(new[] { posA, posB }, 0).requires_grad_(true);
        var p = cat(new[] { pA, pB }, 0);
        var cells = stack(new[] { T(TriclinicCell), Cubic(14) }, 0);
        var pbc = tensor(new[,] { { true, true, true }, { false, false, false } });
        var batch = tensor(new long[] { 0, 0, 0, 0, 1, 1, 1, 1 });
        // Interleave the atoms of the two structures to check the scatter back to node order.
        var order = tensor(new long[] { 0, 4, 1, 5, 2, 6, 3, 7 });
        using var plan = new ElectrostaticsPlan(options, positions.index_select(0, order), cells, pbc, batch.index_select(0, order));
        Assert.Equal([BoundaryMethod.Pbc, BoundaryMethod.MoleculeInBox], plan.Methods);
        var pOrdered = p.index_select(0, order);
        var energies = plan.Energy(pOrdered);
        var features = plan.FieldFeatures(pOrdered);
        var forces = -autograd.grad([energies.sum()], [positions])[0];
        var a = Evaluate(options, posA, pA, T(TriclinicCell), Pbc(true, true, true));
        var b = Evaluate(options, posB, pB, Cubic(14), Pbc(false, false, false));
        Assert.Equal(a.Energy, energies[0].item<double>(), 1e-12);
        Assert.Equal(b.Energy, energies[1].item<double>(), 1e-12);
        Assert.True(MaxAbs(features - cat(new[] { a.Features, b.Features }, 0).index_select(0, order)) < 1e-12);
        Assert.True(MaxAbs(forces - cat(new[] { a.Forces, b.Forces }, 0)) < 1e-12);
        Assert.True(MaxAbs(plan.TotalCharge(pOrdered) - T([0.0, 0.3])) < 1e-14);
    }

    [Fact]
    public void BadInputIsRejectedWithClearMessages()
    {
        using var scope = NewDisposeScope();
        var positions = T(MoleculePositions);
        ArgumentException e = Assert.Throws<StructureGeometryException>(() => new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Pbc }, positions));
        Assert.Contains("needs a cell", e.Message);
        e = Assert.Throws<StructureGeometryException>(() => new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.MixedPeriodic }, positions,
            zeros(3, 3, dtype: float64), tensor(new[] { false, false, false })));
        Assert.Contains("the molecule_in_box method needs a cell, and this structure has none (volume 0)", e.Message);
        var leftHanded = T(new double[,] { { 0, 10, 0 }, { 10, 0, 0 }, { 0, 0, 10 } });
        e = Assert.Throws<StructureGeometryException>(() => new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Pbc }, positions, leftHanded));
        Assert.Contains("right-handed", e.Message);
        e = Assert.Throws<StructureGeometryException>(() => new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Slab }, positions, T(new double[,] { { 10, 0, 1 }, { 0, 10, 0 }, { 0, 0, 10 } })));
        Assert.Contains("xy plane", e.Message);
        using var plan = new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Realspace }, positions);
        e = Assert.Throws<ArgumentException>(() => plan.Energy(T(new double[,] { { 1 }, { 1 }, { 1 }, { 1 } })));
        Assert.Contains("[4, 4]", e.Message);
        Assert.Throws<ArgumentException>(() => new ElectrostaticsPlan(new ElectrostaticsOptions { SmearingWidth = -1 }, positions));
        Assert.Throws<ArgumentException>(() => new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Realspace, DensityMaxL = 2 }, positions));
    }

    internal sealed record Result(double Energy, Tensor Features, Tensor Forces);

    internal static Result Evaluate(ElectrostaticsOptions options, Tensor positions, Tensor p, Tensor? cell, Tensor? pbc = null)
    {
        var x = positions.detach().clone().requires_grad_(true);
        using var plan = new ElectrostaticsPlan(options, x, cell, pbc);
        var energy = plan.Energy(p).sum();
        var features = plan.FieldFeatures(p).detach();
        var forces = -autograd.grad([energy], [x])[0];
        return new Result(energy.item<double>(), features, forces);
    }
}
