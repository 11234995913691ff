using MaceScf.Electrostatics;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// External field, Fermi level, potentials and feature normalisation.
public class FieldTermTests
{
    const double Ke = CoulombConstants.CoulombConstant;

    [Fact]
    public void ExternalFieldEnergyIsFieldDotDipoleAndItsFeaturesAreItsCoefficientGradient()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Realspace, FieldFeatureWidths = [1.5] };
        using var plan = new ElectrostaticsPlan(options, T(MoleculePositions));
        var field = T(new double[,] { { 0.2, -0.1, 0.3 } });
        var p = T(MoleculeCoefficients).requires_grad_(true);
        var energy = plan.ExternalFieldEnergy(p, field);
        var dipole = plan.TotalDipole(p);
        Assert.Equal((dipole * field).sum().item<double>(), energy.item<double>(), 1e-14);
        // Applied potential E·r projected on the density basis (σ = σf = 1.5) is ∂(E·P)/∂p.
        var gradient = autograd.grad([energy.sum()], [p])[0];
        var features = plan.ExternalFeatures(field);
        var scale = T([1 / Math.Sqrt(4 * Math.PI), 1, 1, 1]);
        scale[TensorIndex.Slice(1, 4)] = GaussianMultipoleBasis.ReceiverNormalisation(1, 1.5) / GaussianMultipoleBasis.MultipoleNormalisation(1, 1.5);
        Assert.True(MaxAbs(features * scale - gradient) < 1e-13);
    }

    [Fact]
    public void FermiLevelShiftsEveryChargeFeatureBySqrtFourPi()
    {
        using var scope = NewDisposeScope();
        var cells = stack(new[] { T(TriclinicCell), T(TriclinicCell) }, 0);
        var batch = tensor(new long[] { 0, 0, 1, 1 });
        using var plan = new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Pbc }, T(TriclinicPositions), cells, batch: batch);
        var perStructure = plan.ExternalFeatures(null, T([0.5, -1.0]));
        var perAtom = plan.ExternalFeatures(null, T([0.5, 0.5, -1.0, -1.0]));
        Assert.True(MaxAbs(perStructure - perAtom) < 1e-15);
        Assert.Equal(Math.Sqrt(4 * Math.PI) * -1.0, perStructure[3, 1].item<double>(), 1e-14);
        Assert.Equal(0.0, MaxAbs(perStructure[.., TensorIndex.Slice(2, 8)]));
    }

    [Fact]
    public void PotentialOfTwoGaussiansInOpenSpaceIsAnalytic()
    {
        using var scope = NewDisposeScope();
        double sigma = 0.9, d = 2.5;
        using var plan = new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Realspace, SmearingWidth = sigma, DensityMaxL = 0 },
            T(new double[,] { { 0, 0, 0 }, { 0, d, 0 } }));
        var potential = plan.Potential(T(new double[,] { { 0.4 }, { -0.9 } }));
        double erf = tensor(d / (Math.Sqrt(2) * sigma), dtype: float64).erf().item<double>();
        double expected = Ke * (-0.9 * erf / d + 0.4 * Math.Sqrt(2 / Math.PI) / sigma);
        Assert.Equal(expected, potential[0].item<double>(), 1e-13);
    }

    [Fact]
    public void MoleculeInBoxPotentialApproachesTheOpenPotential()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { KspaceCutoffFactor = 2.0 };
        var p = T(MoleculeCoefficients);
        using var open = new ElectrostaticsPlan(options with { Method = BoundaryMethod.Realspace }, T(MoleculePositions));
        using var box = new ElectrostaticsPlan(options with { Method = BoundaryMethod.MoleculeInBox }, T(MoleculePositions).Plus(12), Cubic(24));
        double error = MaxAbs(box.Potential(p) - open.Potential(p));
        Assert.True(error < 1e-3, $"max |ΔV| = {error}");
    }

    [Fact]
    public void NormsFromSettings()
    {
        using var scope = NewDisposeScope();
        var layout = new FieldFeatureLayout(new ElectrostaticsOptions());
        Assert.Equal([1.0, 1.0, 1.0, 1.0], FieldFeatureNorms.FromSetting("None", layout, () => []).PerDegreeAndWidth);
        var explicitNorms = FieldFeatureNorms.FromSetting("[25.0, 20.0, 2.0, 4.0]", layout, () => []);
        var divided = explicitNorms.Apply(ones(1, 8, dtype: float64));
        Assert.Equal([1 / 25.0, 1 / 20.0, 0.5, 0.5, 0.5, 0.25, 0.25, 0.25], divided[0].data<double>().ToArray());
        Assert.Throws<ArgumentException>(() => FieldFeatureNorms.FromSetting("[1, 2, 3]", layout, () => []));
        Assert.Throws<ArgumentException>(() => FieldFeatureNorms.FromSetting("median", layout, () => []));
    }

    [Fact]
    public void AverageNormsAreTheRootMeanSquarePerDegreeAndWidth()
    {
        using var scope = NewDisposeScope();
        var layout = new FieldFeatureLayout(new ElectrostaticsOptions());
        var a = T(new double[,] { { 1, 2, 1, 1, 1, 0, 0, 0 }, { 3, 0, 1, 1, 1, 0, 0, 0 } });
        var b = T(new double[,] { { 1, 2, 3, 0, 0, 0, 0, 0 } });
        var norms = FieldFeatureNorms.FromSetting("average", layout, () => [a, b]).PerDegreeAndWidth;
        Assert.Equal(Math.Sqrt(11.0 / 3), norms[0], 1e-14);
        Assert.Equal(Math.Sqrt(8.0 / 3), norms[1], 1e-14);
        Assert.Equal(Math.Sqrt(15.0 / 9), norms[2], 1e-14);
        Assert.Equal(FieldFeatureNorms.Floor, norms[3]);
    }

    [Fact]
    public void AverageNormsOfReferenceDensitiesDependOnlyOnTheCentredFermiLevel()
    {
        // Gauge: the norms see μ − μ_off only.
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Pbc };
        using var plan = new ElectrostaticsPlan(options, T(TriclinicPositions), T(TriclinicCell));
        var p = T(TriclinicCoefficients);
        Tensor Features(double mu, double offset) => plan.FieldFeatures(p).Plus(plan.ExternalFeatures(T(new double[,] { { 0.1, 0, 0 } }), T([mu - offset])));
        var first = FieldFeatureNorms.Average(plan.Layout, [Features(-4.0, -4.5)]).PerDegreeAndWidth;
        var second = FieldFeatureNorms.Average(plan.Layout, [Features(1.0, 0.5)]).PerDegreeAndWidth;
        for (int i = 0; i < 4; i++) Assert.Equal(first[i], second[i], 1e-13);
    }
}
