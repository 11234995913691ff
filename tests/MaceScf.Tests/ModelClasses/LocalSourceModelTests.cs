using MaceScf.Calculators;
using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.Models;
using MaceScf.Tests.Equivariant;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// LocalCharges and FixedChargeBaselinedMACE: invariances, forces and stress = finite differences, the energy terms, the
/// fixed charges' total charge, and the model file.
public sealed class LocalSourceModelTests(ITestOutputHelper output)
{
    static LocalSourceHyperparameters Hyperparameters(ModelClass c, BoundaryMethod method) => new()
    {
        Class = c,
        Mace = MaceTestSystems.Hyperparameters(),
        Electrostatics = new ElectrostaticsOptions { Method = method, SmearingWidth = 1.0 },
        FormalCharges = new Dictionary<int, double> { [1] = 0.4, [8] = -0.8 },
    };

    /// A model for the open-boundary molecule (realspace), or the periodic cell (pbc).
    internal static LocalSourceModel Model(ModelClass c, int seed, BoundaryMethod method = BoundaryMethod.Realspace)
    {
        random.manual_seed(seed);
        var model = new LocalSourceModel(Hyperparameters(c, method));
        // The source blocks start small; scale them so the Coulomb term is not negligible in the checks.
        using (no_grad())
        using (var scale = 20.0.ToScalar())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("local_density.", StringComparison.Ordinal)) p.mul_(scale);
        return model;
    }

    static Prediction Run(LocalSourceModel model, SystemInputs inputs, bool stress = false) =>
        model.Predict(inputs, new PredictionRequest { Forces = true, Stress = stress });

    [Theory]
    [InlineData(nameof(ModelClass.LocalCharges))]
    [InlineData(nameof(ModelClass.FixedChargeBaselinedMACE))]
    public void Outputs_are_rotation_translation_and_permutation_equivariant(string name)
    {
        var c = MaceScf.Models.ModelClasses.Parse(name);
        using var scope = NewDisposeScope();
        using var model = Model(c, 5);
        var inputs = FixedPointTestSystems.Molecule();
        var (reference, worst) = EquivarianceDeviation(model, inputs);
        output.WriteLine($"{c}: E = {reference.Energy.item<double>():F6}, Coulomb {reference.Term("coulomb").item<double>():F6}, worst deviation {worst:E2}");
        Assert.True(worst < 1e-10, $"{worst}");
    }

    /// (the prediction at <paramref name="inputs"/>, the largest relative deviation of energy, forces, density and total charge
    /// from their rotated, reflected, translated (also in the field) and permuted counterparts).
    internal static (Prediction Reference, double Worst) EquivarianceDeviation(LocalSourceModel model, SystemInputs inputs)
    {
        var reference = Run(model, inputs);
        var noField = inputs with { ExternalField = null };
        var referenceNoField = Run(model, noField);
        Assert.True(MaceTestSystems.MaxAbs(reference.Term("coulomb")) > 1e-3);
        var d = WignerD.ForIrreps(model.Hyperparameters.ChargesIrreps, eye(3, dtype: ScalarType.Float64), VectorOrder.Yzx);
        static double Relative(Tensor a, Tensor b) => MaceTestSystems.MaxDiff(a, b) / Math.Max(1, MaceTestSystems.MaxAbs(b));
        double worst = 0;
        var rng = new System.Random(3);
        for (int trial = 0; trial < 3; trial++)
        {
            var g = Reference.Orthogonal(rng, improper: trial == 1);
            var shift = tensor(new[] { 0.7, -1.1, 2.3 }, dtype: ScalarType.Float64);
            var moved = noField.WithGeometry(inputs.Graph.Positions.matmul(g.T).Plus(shift), inputs.Graph.Cell);
            var r = Run(model, moved);
            d = WignerD.ForIrreps(model.Hyperparameters.ChargesIrreps, g, VectorOrder.Yzx);
            // In a uniform field a charged molecule's energy depends on the origin: translating it by t adds Q E_ext·t (and its
            // forces change by −(E_ext·t) ∂Q/∂r where Q is not conserved); rotated with the field it is unchanged.
            var field = inputs.ExternalField!.matmul(g.T);
            var inField = Run(model, moved with { ExternalField = field });
            var expected = reference.Energy.Plus(reference.TotalCharge! * (field * shift).sum());
            var rotated = Run(model, inputs.WithGeometry(inputs.Graph.Positions.matmul(g.T), inputs.Graph.Cell) with { ExternalField = field });
            worst = new[]
            {
                worst, Relative(r.Energy, referenceNoField.Energy), Relative(r.Forces!, referenceNoField.Forces!.matmul(g.T)),
                Relative(r.Density!, referenceNoField.Density!.matmul(d.T)), Relative(r.TotalCharge!, reference.TotalCharge!),
                Relative(inField.Energy, expected), Relative(rotated.Forces!, reference.Forces!.matmul(g.T)),
            }.Max();
        }
        // Permutation: reverse the atoms (and the edges' node indices).
        int n = (int)inputs.NumAtoms;
        using Scalar last = (n - 1).ToScalar(), end = (-1).ToScalar(), back = (-1).ToScalar();
        var order = arange(last, end, back, dtype: ScalarType.Int64);
        var inverse = arange(last, end, back, dtype: ScalarType.Int64);
        var graph = inputs.Graph with
        {
            Positions = inputs.Graph.Positions.index_select(0, order), Species = inputs.Graph.Species.index_select(0, order),
            EdgeIndex = inverse.index_select(0, inputs.Graph.EdgeIndex.flatten()).view(2, -1), Batch = inputs.Graph.Batch.index_select(0, order),
        };
        var p = Run(model, inputs with { Graph = graph });
        worst = new[] { worst, Relative(p.Energy, reference.Energy), Relative(p.Forces!, reference.Forces!.index_select(0, order)),
            Relative(p.Density!, reference.Density!.index_select(0, order)) }.Max();
        return (reference, worst);
    }

    [Theory]
    [InlineData(nameof(ModelClass.LocalCharges))]
    [InlineData(nameof(ModelClass.FixedChargeBaselinedMACE))]
    public void Forces_and_stress_are_finite_differences(string name)
    {
        var c = MaceScf.Models.ModelClasses.Parse(name);
        using var scope = NewDisposeScope();
        using var model = Model(c, 9, BoundaryMethod.Pbc);
        var (worstForce, worstStress, forceScale, stressScale) = FiniteDifferenceDeviation(model, FixedPointTestSystems.Periodic());
        output.WriteLine($"{c}: |F − F_fd| {worstForce:E2} (max |F| {forceScale:E2}), |σ − σ_fd| {worstStress:E2} (max |σ| {stressScale:E2})");
        Assert.True(worstForce < 1e-6 * Math.Max(1, forceScale), $"{worstForce}");
        Assert.True(worstStress < 1e-6 * Math.Max(1, stressScale), $"{worstStress}");
    }

    /// The largest |F − F_fd| and |σ − σ_fd| of a periodic structure (central differences, step 1e-5), and max |F|, max |σ|.
    internal static (double Force, double Stress, double ForceScale, double StressScale) FiniteDifferenceDeviation(LocalSourceModel model, SystemInputs inputs)
    {
        var result = Run(model, inputs, stress: true);
        double Energy(SystemInputs x)
        {
            using var s = NewDisposeScope();
            return model.Predict(x, PredictionRequest.EnergyOnly()).Energy.sum().item<double>();
        }
        const double h = 1e-5;
        var positions = inputs.Graph.Positions;
        double worstForce = 0;
        for (int i = 0; i < positions.shape[0]; i++)
            for (int a = 0; a < 3; a++)
            {
                var step = zeros_like(positions);
                step[i, a] = h;
                double fd = -(Energy(inputs.WithGeometry(positions.Plus(step), inputs.Graph.Cell)) - Energy(inputs.WithGeometry(positions - step, inputs.Graph.Cell))) / (2 * h);
                worstForce = Math.Max(worstForce, Math.Abs(fd - result.Forces![i, a].item<double>()));
            }
        double volume = linalg.det(inputs.Graph.Cell[0]).abs().item<double>(), worstStress = 0;
        for (int i = 0; i < 3; i++)
            for (int j = 0; j < 3; j++)
            {
                double Strained(double eps)
                {
                    var strain = eye(3, dtype: ScalarType.Float64);
                    strain[i, j] = strain[i, j].Plus(eps);
                    return Energy(inputs.WithGeometry(positions.matmul(strain), inputs.Graph.Cell.matmul(strain)));
                }
                double fd = (Strained(h) - Strained(-h)) / (2 * h) / volume;
                worstStress = Math.Max(worstStress, Math.Abs(fd - result.Stress![0, i, j].item<double>()));
            }
        double forceScale = MaceTestSystems.MaxAbs(result.Forces!), stressScale = MaceTestSystems.MaxAbs(result.Stress!);
        return (worstForce, worstStress, MaceTestSystems.MaxAbs(result.Forces!), MaceTestSystems.MaxAbs(result.Stress!));
    }

    [Fact]
    public void Fixed_charges_give_the_composition_total_and_the_Coulomb_energy_of_those_charges()
    {
        using var scope = NewDisposeScope();
        using var model = Model(ModelClass.FixedChargeBaselinedMACE, 4);
        var inputs = FixedPointTestSystems.Molecule();
        var p = Run(model, inputs);
        var species = inputs.Graph.Species;
        var q = tensor(new[] { 0.4, -0.8 }, dtype: ScalarType.Float64).index_select(0, species);
        Assert.Equal(q.sum().item<double>(), p.TotalCharge!.item<double>(), 12);
        Assert.Equal(0.0, MaceTestSystems.MaxAbs(p.Density![.., 1..]));
        // Coulomb and field terms are those of the electrostatics alone with these charges.
        using var plan = new ElectrostaticsPlan(model.Hyperparameters.Electrostatics, inputs.Graph.Positions, inputs.Graph.Cell, inputs.Pbc, inputs.Graph.Batch);
        var density = nn.functional.pad(q.unsqueeze(1), [0, 3]);
        Assert.Equal(plan.Energy(density).item<double>(), p.Term("coulomb").item<double>(), 12);
        Assert.Equal(plan.ExternalFieldEnergy(density, inputs.ExternalField!).item<double>(), p.Term("external_field").item<double>(), 12);
        // The rest is the backbone's energy.
        Assert.Equal(model.Backbone.forward(inputs.Graph).Energy.item<double>(), (p.Term("e0").Plus(p.Term("local"))).item<double>(), 12);
    }

    [Fact]
    public void Model_file_records_the_class_and_evaluates_as_the_model()
    {
        using var scope = NewDisposeScope();
        using var model = Model(ModelClass.LocalCharges, 6);
        string path = Path.Combine(Path.GetTempPath(), $"macescf-local-{Guid.NewGuid():N}.model");
        try
        {
            LocalSourceModelFile.Save(model, path);
            Assert.Equal("LocalCharges", LocalSourceModelFile.ReadHeader(path).ModelClass);
            Assert.Equal(MaceScf.ModelFiles.ModelFileKind.LocalSource, MaceScf.ModelFiles.ModelFileKinds.Detect(path));
            using var loaded = LocalSourceModelFile.Load(path);
            var inputs = FixedPointTestSystems.Molecule();
            var a = Run(model, inputs);
            var b = Run(loaded, inputs);
            Assert.Equal(0.0, MaceTestSystems.MaxDiff(a.Energy, b.Energy));
            Assert.Equal(0.0, MaceTestSystems.MaxDiff(a.Density!, b.Density!));
        }
        finally
        {
            File.Delete(path);
        }
    }
}
