using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;

namespace MaceScf.Tests.Electrostatics;

/// Analytic and reference values of the notes (§2.6, §2.9, §7.2).
public class ReferenceValueTests
{
    const double Ke = CoulombConstants.CoulombConstant;

    [Fact]
    public void SelfInteractionConstantsMatchTheNotes()
    {
        // The notes' values come from a trapezoid rule, which differs from our closed forms by ~1e-11 relative.
        Assert.Equal(5.416086610084, GaussianMultipoleBasis.EnergySelfInteraction(0, 1.5), 1e-9);
        Assert.Equal(0.401191600752, GaussianMultipoleBasis.EnergySelfInteraction(1, 1.5), 1e-11);
        Assert.Equal(22.592022352353, GaussianMultipoleBasis.FeatureSelfInteraction(0, 1.5, 1.0), 1e-9);
        Assert.Equal(16.291339001508, GaussianMultipoleBasis.FeatureSelfInteraction(0, 1.5, 2.0), 1e-9);
        Assert.Equal(2.515017802682, GaussianMultipoleBasis.FeatureSelfInteraction(1, 1.5, 1.0), 1e-11);
        Assert.Equal(1.886149334425, GaussianMultipoleBasis.FeatureSelfInteraction(1, 1.5, 2.0), 1e-11);
    }

    [Fact]
    public void KspaceCutoffFollowsTheHeuristic()
    {
        var options = new ElectrostaticsOptions();
        Assert.Equal(2.7700749300260616, options.HeuristicKspaceCutoff, 1e-13);
        Assert.Equal(3.4625936625, options.KspaceCutoff, 1e-9);
        var nacl = new ElectrostaticsOptions { SmearingWidth = 0.1, DensityMaxL = 0, FieldFeatureMaxL = 0, FieldFeatureWidths = [1.0], KspaceCutoffFactor = 2.0 };
        Assert.Equal(45.0, nacl.KspaceCutoff, 1e-12);
    }

    [Fact]
    public void TwoGaussianChargesInOpenSpaceEqualTheErfFormula()
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { SmearingWidth = 0.5, Method = BoundaryMethod.Realspace, IncludeSelfInteraction = false, DensityMaxL = 0 };
        using var plan = new ElectrostaticsPlan(options, T(new double[,] { { 0, 0, 0 }, { 4, 0, 0 } }));
        double energy = Scalar(plan.Energy(T(new double[,] { { 0.7 }, { -0.7 } })));
        Assert.Equal(-1.7639565286, energy, 1e-10);
        Assert.Equal(Ke * -0.49 * SpecialErf(4.0) / 4.0, energy, 1e-13);
    }

    [Fact]
    public void TwoGaussianDipolesInOpenSpaceEqualTheAnalyticPairEnergy()
    {
        // Two parallel dipoles d along z separated by R along x: E = (d·∇)(d·∇) acting on
        // h(R) = k_e erf(R/2σ)/R gives −d² h'(R)/R, since the dipoles are perpendicular to R.
        using var scope = NewDisposeScope();
        double sigma = 0.8, r = 3.0, d = 0.3;
        var options = new ElectrostaticsOptions { SmearingWidth = sigma, Method = BoundaryMethod.Realspace, IncludeSelfInteraction = false };
        using var plan = new ElectrostaticsPlan(options, T(new double[,] { { 0, 0, 0 }, { r, 0, 0 } }));
        double energy = Scalar(plan.Energy(T(new double[,] { { 0, 0, d, 0 }, { 0, 0, d, 0 } })));
        double c = 2 * sigma;
        double hPrime = Ke * (2 / (Math.Sqrt(Math.PI) * c) * Math.Exp(-r * r / (c * c)) / r - SpecialErf(r / c) / (r * r));
        Assert.Equal(-d * d * hPrime / r, energy, 1e-13);
    }

    [Fact]
    public void RockSaltReproducesTheMadelungEnergy()
    {
        using var scope = NewDisposeScope();
        double a = 5.64;
        var positions = new double[8, 3];
        var charges = new double[8, 1];
        double[][] fcc = [[0, 0, 0], [0, 0.5, 0.5], [0.5, 0, 0.5], [0.5, 0.5, 0]];
        for (int i = 0; i < 4; i++)
            for (int x = 0; x < 3; x++)
            {
                positions[i, x] = fcc[i][x] * a;
                positions[i + 4, x] = (fcc[i][x] + (x == 0 ? 0.5 : 0)) * a;
                charges[i, 0] = 1; charges[i + 4, 0] = -1;
            }
        var options = IonicOptions();
        using var plan = new ElectrostaticsPlan(options, T(positions), Cubic(a));
        double energy = Scalar(plan.Energy(T(charges)));
        double madelung = -8 * 1.747564594633 * Ke / a;
        Assert.Equal(-35.6940572980, madelung, 1e-9);
        Assert.True(Math.Abs(energy / madelung - 1) < 1e-6, $"E = {energy:R}, Madelung {madelung:R}");
    }

    [Fact]
    public void CaesiumChlorideReproducesTheMadelungEnergy()
    {
        using var scope = NewDisposeScope();
        double a = 4.12;
        using var plan = new ElectrostaticsPlan(IonicOptions(), T(new double[,] { { 0, 0, 0 }, { a / 2, a / 2, a / 2 } }), Cubic(a));
        double energy = Scalar(plan.Energy(T(new double[,] { { 1 }, { -1 } })));
        double madelung = -1.762674773070988 * Ke / (Math.Sqrt(3) * a / 2);
        Assert.True(Math.Abs(energy / madelung - 1) < 1e-6, $"E = {energy:R}, Madelung {madelung:R}");
    }

    [Fact]
    public void WorkedTriclinicExampleMatchesEnergiesAndFeatures()
    {
        using var scope = NewDisposeScope();
        var positions = T(TriclinicPositions);
        var p = T(TriclinicCoefficients);
        var excluded = new ElectrostaticsOptions { Method = BoundaryMethod.Pbc, IncludeSelfInteraction = false };
        var included = excluded with { IncludeSelfInteraction = true, IncludeFieldSelfInteraction = true };
        using var planExcluded = new ElectrostaticsPlan(excluded, positions, T(TriclinicCell));
        using var planIncluded = new ElectrostaticsPlan(included, positions, T(TriclinicCell));
        Assert.Equal(600, planExcluded.KVectorCount);   // the notes' 601 include k = 0
        Assert.Equal(0.0649967025, Scalar(planIncluded.Energy(p)), 1e-9);
        Assert.Equal(-2.5482249677, Scalar(planExcluded.Energy(p)), 1e-9);
        double[] featuresExcluded = [17.299333958953, 12.765069926457, 0.881509298086, -0.177341132283, 0.397144014306, 0.553756772851, -0.104098808173, 0.254487170375];
        double[] featuresIncluded = [-0.7742839229, -0.2680012747, 1.0072601882, -0.2276414883, 0.6486457946, 0.6480642396, -0.1418217949, 0.4431021038];
        var fe = Row(planExcluded.FieldFeatures(p), 0);
        var fi = Row(planIncluded.FieldFeatures(p), 0);
        for (int j = 0; j < 8; j++)
        {
            Assert.Equal(featuresExcluded[j], fe[j], 1e-8);
            Assert.Equal(featuresIncluded[j], fi[j], 1e-8);
        }
        Assert.Equal(0.0, Scalar(planExcluded.TotalCharge(p)), 1e-14);
        Assert.Equal(new[] { 0.34, 0.68, -0.21 }, Row(planExcluded.TotalDipole(p), 0).Select(v => Math.Round(v, 12)));
    }

    [Fact]
    public void ExternalFieldFeaturesMatchTheWorkedExample()
    {
        using var scope = NewDisposeScope();
        using var plan = new ElectrostaticsPlan(new ElectrostaticsOptions { Method = BoundaryMethod.Pbc }, T(TriclinicPositions), T(TriclinicCell));
        var features = Row(plan.ExternalFeatures(T(new double[,] { { 0.2, -0.1, 0.3 } })), 0);
        double[] expected = [1.240717695634, 1.240717695634, -0.384764949049, 1.154294847146, 0.769529898097, -0.769529898097, 2.308589694291, 1.539059796194];
        for (int j = 0; j < 8; j++) Assert.Equal(expected[j], features[j], 1e-11);
        var fermi = Row(plan.ExternalFeatures(null, T([0.5])), 2);
        Assert.Equal(new[] { 1.772453850906, 1.772453850906, 0, 0, 0, 0, 0, 0 }, fermi.Select(v => Math.Round(v, 12)));
    }

    static ElectrostaticsOptions IonicOptions() => new()
    {
        SmearingWidth = 0.1, DensityMaxL = 0, FieldFeatureMaxL = 0, FieldFeatureWidths = [1.0],
        KspaceCutoffFactor = 2.0, Method = BoundaryMethod.Pbc, IncludeSelfInteraction = false,
    };

    static double SpecialErf(double x) => tensor(x, dtype: float64).erf().item<double>();
}

/// The l = 2 (quadrupole) extension of the Gaussian basis, available in reciprocal space.
public class QuadrupoleTests
{
    [Fact]
    public void IsolatedQuadrupoleEnergyInABoxTendsToItsSelfEnergy()
    {
        // A lone Gaussian quadrupole in a cubic box: the k-space sum (a numerical Fourier integral)
        // must reproduce the closed-form self-energy ½ c^E_2 p² up to the interaction with its
        // images, which falls as L⁻⁵ (quadrupole–quadrupole).
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions { Method = BoundaryMethod.Pbc, DensityMaxL = 2, FieldFeatureMaxL = 2 };
        var p = T(new double[,] { { 0, 0, 0, 0, 0.3, -0.2, 0.5, 0.1, -0.4 } });
        double selfEnergy = 0.5 * GaussianMultipoleBasis.EnergySelfInteraction(2, 1.5) * p.Squared().sum().item<double>();
        double ImageEnergy(double box)
        {
            using var plan = new ElectrostaticsPlan(options, T(new double[,] { { 0.5, 0.5, 0.5 } }).Times(box), Cubic(box));
            Assert.Equal(18, plan.FieldFeatures(p).shape[1]);
            return Scalar(plan.Energy(p)) - selfEnergy;
        }
        double small = ImageEnergy(24), large = ImageEnergy(36);
        Assert.True(Math.Abs(small) < 2e-3 * selfEnergy, $"image energy {small} vs self-energy {selfEnergy}");
        Assert.Equal(Math.Pow(1.5, 5), small / large, 0.03 * Math.Pow(1.5, 5));
    }

    /// The l = 2 coefficients and features use the harmonics of the equivariant network (e3nn 0.4.4, y-z-x order), which
    /// the model's l = 2 density outputs follow: rotating atoms and cell by R and every atom's coefficients by
    /// D(R) = D⁰ ⊕ D¹ ⊕ D² leaves the energy unchanged, rotates the forces by R and the features by D(R) per width. A sign
    /// or order difference in any l = 2 harmonic breaks it.
    [Theory]
    [InlineData(BoundaryMethod.Pbc)]
    [InlineData(BoundaryMethod.MoleculeInBox)]
    public void QuadrupoleEnergyForcesAndFeaturesAreRotationEquivariant(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var options = new ElectrostaticsOptions
        {
            Method = method, DensityMaxL = 2, FieldFeatureMaxL = 2, FieldFeatureWidths = [1.0, 2.0], IncludeSelfInteraction = false,
        };
        var r = Rotations.FromEulerAngles(0.4, -1.1, 2.3);
        var coefficientRotation = WignerD.ForIrreps(Irreps.Parse("1x0e+1x1o+1x2e"), r, VectorOrder.Yzx);
        var featureRotation = WignerD.ForIrreps(Irreps.Parse("2x0e+2x1o+2x2e"), r, VectorOrder.Yzx);
        var p = randn(new long[] { 4, 9 }, dtype: float64, generator: new Generator(11)).Times(0.3);
        var positions = T(TriclinicPositions);
        var cell = T(TriclinicCell);
        var a = BoundaryMethodTests.Evaluate(options, positions, p, cell);
        var b = BoundaryMethodTests.Evaluate(options, positions.matmul(r.T), p.matmul(coefficientRotation.T), cell.matmul(r.T));
        Assert.Equal(a.Energy, b.Energy, 1e-11);
        Assert.True(MaxAbs(b.Forces - a.Forces.matmul(r.T)) < 1e-11, $"forces {MaxAbs(b.Forces - a.Forces.matmul(r.T))}");
        Assert.True(MaxAbs(b.Features - a.Features.matmul(featureRotation.T)) < 1e-11,
            $"features {MaxAbs(b.Features - a.Features.matmul(featureRotation.T))}");
        // Rotating only the l = 2 block the wrong way round (D² of R⁻¹) is detected: the test can fail.
        var wrong = WignerD.ForIrreps(Irreps.Parse("1x0e+1x1o"), r, VectorOrder.Yzx);
        var wrongRotation = block_diag(wrong, WignerD.Matrix(2, r.T, VectorOrder.Yzx));
        var c = BoundaryMethodTests.Evaluate(options, positions.matmul(r.T), p.matmul(wrongRotation.T), cell.matmul(r.T));
        Assert.True(Math.Abs(c.Energy - a.Energy) > 1e-6, $"{c.Energy} vs {a.Energy}");
    }
}
