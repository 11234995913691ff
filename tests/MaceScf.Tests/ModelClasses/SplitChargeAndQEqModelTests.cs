using MaceScf.Electrostatics;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.Models;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.Mace;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// LocalSplitCharges and MACEQEq: invariances, forces and stress = finite differences, the total charge conserved for any
/// weights, the split-charge polarisation across a cell boundary, and the QEq charges against direct solves.
public sealed class SplitChargeAndQEqModelTests(ITestOutputHelper output)
{
    static LocalSourceHyperparameters Hyperparameters(ModelClass c, BoundaryMethod method) => new()
    {
        Class = c,
        Mace = MaceTestSystems.Hyperparameters(),
        Electrostatics = new ElectrostaticsOptions { Method = method, SmearingWidth = 1.0 },
        FormalCharges = new Dictionary<int, double> { [1] = 0.5, [8] = -1.0 },
        TrainHardness = true,
        DefaultHardness = 3.0,
    };

    /// A model with weights scaled up so that the transfers (LocalSplitCharges) or electronegativities (MACEQEq) are large.
    static LocalSourceModel Model(ModelClass c, int seed, BoundaryMethod method = BoundaryMethod.Realspace)
    {
        random.manual_seed(seed);
        var model = new LocalSourceModel(Hyperparameters(c, method));
        using (no_grad())
        using (Scalar sources = 40.0.ToScalar(), readouts = 3.0.ToScalar())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("local_density.", StringComparison.Ordinal) && name.Contains(".linear.", StringComparison.Ordinal)) p.mul_(sources);
                else if (name.StartsWith("enegs_readouts.", StringComparison.Ordinal)) p.mul_(readouts);
        return model;
    }

    static Prediction Run(LocalSourceModel model, SystemInputs inputs, bool stress = false) =>
        model.Predict(inputs, new PredictionRequest { Forces = true, Stress = stress });

    [Theory]
    [InlineData(nameof(ModelClass.LocalSplitCharges))]
    [InlineData(nameof(ModelClass.MACEQEq))]
    public void Outputs_are_rotation_translation_and_permutation_equivariant_and_conserve_the_charge(string name)
    {
        var c = MaceScf.Models.ModelClasses.Parse(name);
        using var scope = NewDisposeScope();
        using var model = Model(c, 5);
        var inputs = FixedPointTestSystems.Molecule(charge: c == ModelClass.MACEQEq ? -1.0 : 0.0);
        var (reference, worst) = LocalSourceModelTests.EquivarianceDeviation(model, inputs);
        // The charges are neither the formal ones (transfers) nor zero (equilibration), and add up to the conserved total:
        // Σq⁰ of the composition, or the frame's total charge.
        var formal = tensor(new[] { 0.5, -1.0 }, dtype: ScalarType.Float64).index_select(0, inputs.Graph.Species);
        double total = c == ModelClass.MACEQEq ? -1.0 : formal.sum().item<double>();
        Assert.True(MaceTestSystems.MaxDiff(reference.Density![.., 0], formal) > 1e-2);
        Assert.True(MaceTestSystems.MaxAbs(reference.Term("coulomb")) > 1e-2);
        output.WriteLine($"{c}: E = {reference.Energy.item<double>():F6}, Coulomb {reference.Term("coulomb").item<double>():F6}, "
            + $"charges [{string.Join(", ", reference.Density![.., 0].data<double>().Select(q => q.ToString("F4")))}], worst deviation {worst:E2}");
        Assert.Equal(total, reference.TotalCharge!.item<double>(), 12);
        Assert.True(worst < 1e-10, $"{worst}");
    }

    [Theory]
    [InlineData(nameof(ModelClass.LocalSplitCharges))]
    [InlineData(nameof(ModelClass.MACEQEq))]
    public void Forces_and_stress_are_finite_differences(string name)
    {
        var c = MaceScf.Models.ModelClasses.Parse(name);
        using var scope = NewDisposeScope();
        using var model = Model(c, 9, BoundaryMethod.Pbc);
        var inputs = FixedPointTestSystems.Periodic() with { TotalCharge = tensor(new[] { c == ModelClass.MACEQEq ? 0.5 : 0.0 }, dtype: ScalarType.Float64) };
        var (worstForce, worstStress, forceScale, stressScale) = LocalSourceModelTests.FiniteDifferenceDeviation(model, inputs);
        output.WriteLine($"{c}: |F − F_fd| {worstForce:E2} (max |F| {forceScale:E2}), |σ − σ_fd| {worstStress:E2} (max |σ| {stressScale:E2})");
        Assert.True(worstForce < 1e-6 * Math.Max(1, forceScale), $"{worstForce}");
        Assert.True(worstStress < 1e-6 * Math.Max(1, stressScale), $"{worstStress}");
    }

    [Fact]
    public void Split_charge_polarisation_changes_by_the_formal_charge_times_the_lattice_vector_when_an_ion_crosses_the_cell()
    {
        using var scope = NewDisposeScope();
        using var model = Model(ModelClass.LocalSplitCharges, 7, BoundaryMethod.Pbc);
        var (positions, species) = MaceTestSystems.Molecule(4, 4);
        var cell = MaceTestSystems.TriclinicCell();
        SystemInputs At(double[,] r) => new(MaceTestSystems.Inputs(r, species, cell), ones(1, 3, dtype: ScalarType.Bool), null,
            zeros(1, dtype: ScalarType.Float64));
        var before = model.Predict(At(positions), PredictionRequest.EnergyOnly());
        // Atom 1 crosses the boundary: it moves by the second lattice vector.
        var moved = (double[,])positions.Clone();
        for (int a = 0; a < 3; a++) moved[1, a] += cell[1, a];
        var after = model.Predict(At(moved), PredictionRequest.EnergyOnly());
        double q0 = species[1] == 0 ? 0.5 : -1.0;
        var expected = before.Dipole!.Plus(tensor(new[] { cell[1, 0], cell[1, 1], cell[1, 2] }, dtype: ScalarType.Float64).Times(q0));
        output.WriteLine($"P before {string.Join(", ", before.Dipole!.data<double>().Select(x => x.ToString("F6")))}, after "
            + $"{string.Join(", ", after.Dipole!.data<double>().Select(x => x.ToString("F6")))}, q⁰ = {q0}");
        Assert.True(MaceTestSystems.MaxDiff(after.Dipole!, expected) < 1e-10, $"{MaceTestSystems.MaxDiff(after.Dipole!, expected)}");
        Assert.True(MaceTestSystems.MaxDiff(after.Energy, before.Energy) < 1e-10);
        Assert.True(MaceTestSystems.MaxDiff(after.Density!, before.Density!) < 1e-10);
        // The transfers add to P beyond Σ q r + Σ d of the charges: their P is not the naive dipole of the density.
        using var plan = new ElectrostaticsPlan(model.Hyperparameters.Electrostatics, At(positions).Graph.Positions, At(positions).Graph.Cell);
        Assert.True(MaceTestSystems.MaxDiff(plan.TotalDipole(before.Density!), before.Dipole!) > 1e-3);
    }

    [Fact]
    public void QEq_charges_of_two_atoms_are_the_analytic_solution()
    {
        using var scope = NewDisposeScope();
        using var model = Model(ModelClass.MACEQEq, 11);
        double r = 1.3, sigma = model.Hyperparameters.Electrostatics.SmearingWidth, ke = CoulombConstants.CoulombConstant;
        var graph = MaceTestSystems.Inputs(new double[,] { { 0, 0, 0 }, { 0.3, -0.4, 1.2 } }, [0, 1], null, skin: 0);
        Assert.Equal(r, graph.Positions[1].norm().item<double>(), 12);
        foreach (double total in new[] { 0.0, 1.0 })
        {
            var inputs = new SystemInputs(graph, zeros(1, 3, dtype: ScalarType.Bool), null, tensor(new[] { total }, dtype: ScalarType.Float64));
            var p = Run(model, inputs);
            var chi = p.Electronegativity!.data<double>().ToArray();
            var j = p.Hardness!.data<double>().ToArray();
            // Gaussian charges of width σ: self term k_e/(σ√π), pair term k_e erf(r/2σ)/r.
            double self = ke / (sigma * Math.Sqrt(Math.PI)), pair = ke * tensor(r / (2 * sigma), dtype: ScalarType.Float64).erf().item<double>() / r;
            // Minimise Σ χq + ½ Σ (J + self) q² + pair q₁q₂ at q₁ + q₂ = Q: q₁ = (Q (J₂ + self − pair) − χ₁ + χ₂) / (J₁ + J₂ + 2 self − 2 pair).
            double q1 = (total * (j[1] + self - pair) - chi[0] + chi[1]) / (j[0] + j[1] + 2 * self - 2 * pair);
            var q = p.Density![.., 0].data<double>().ToArray();
            output.WriteLine($"Q = {total}: χ = [{chi[0]:F6}, {chi[1]:F6}], J = [{j[0]:F6}, {j[1]:F6}], q = [{q[0]:F12}, {q[1]:F12}], analytic q₁ = {q1:F12}");
            Assert.True(Math.Abs(q[0] - q1) < 1e-10, $"{q[0]} vs {q1}");
            Assert.Equal(total, q[0] + q[1], 12);
            Assert.True(Math.Abs(q1) > 1e-2);
        }
    }

    [Fact]
    public void QEq_charges_of_a_batch_are_the_dense_solve_with_the_Hessian_of_the_Coulomb_energy()
    {
        using var scope = NewDisposeScope();
        using var model = Model(ModelClass.MACEQEq, 12, BoundaryMethod.Pbc);
        var a = FixedPointTestSystems.Periodic(4);
        var b = FixedPointTestSystems.Periodic(6);
        long na = a.NumAtoms;
        var graph = new MaceInputs(cat([a.Graph.Positions, b.Graph.Positions], 0), cat([a.Graph.Species, b.Graph.Species], 0),
            cat([a.Graph.EdgeIndex, b.Graph.EdgeIndex.Plus(na)], 1), cat([a.Graph.UnitShifts, b.Graph.UnitShifts], 0),
            cat([a.Graph.Cell, b.Graph.Cell.Times(1.1)], 0), cat([a.Graph.Batch, b.Graph.Batch.Plus(1)], 0), 2);
        graph = graph with { Positions = cat([a.Graph.Positions, b.Graph.Positions.Times(1.1)], 0) };
        var charges = tensor(new[] { 0.7, -1.2 }, dtype: ScalarType.Float64);
        var inputs = new SystemInputs(graph, ones(2, 3, dtype: ScalarType.Bool), null, charges);
        var p = model.Predict(inputs, PredictionRequest.EnergyOnly());
        var q = p.Density![.., 0];
        Assert.True(MaceTestSystems.MaxDiff(p.TotalCharge!, charges) < 1e-12);
        // Each structure alone: the Hessian by second differences of the Coulomb energy (exact for a quadratic), then the
        // bordered system solved densely.
        for (int s = 0; s < 2; s++)
        {
            var atoms = (graph.Batch.EqualTo(s)).nonzero().squeeze(1);
            int n = (int)atoms.shape[0];
            using var plan = new ElectrostaticsPlan(model.Hyperparameters.Electrostatics, graph.Positions.index_select(0, atoms), graph.Cell[s],
                ones(3, dtype: ScalarType.Bool));
            double Coulomb(params (int Atom, double Q)[] charges)
            {
                var density = zeros(n, 4, dtype: ScalarType.Float64);
                foreach (var (atom, value) in charges) density[atom, 0] = density[atom, 0].Plus(value);
                return plan.Energy(density).item<double>();
            }
            var m = new double[n + 1, n + 1];
            for (int i = 0; i < n; i++)
            {
                for (int j = 0; j < n; j++)
                    m[i, j] = i == j ? 2 * Coulomb((i, 1.0)) : Coulomb((i, 1.0), (j, 1.0)) - Coulomb((i, 1.0)) - Coulomb((j, 1.0));
                m[i, n] = m[n, i] = 1;
            }
            var matrix = tensor(m.Cast<double>().ToArray(), dtype: ScalarType.Float64).view(n + 1, n + 1).Plus(diag(cat([p.Hardness!.index_select(0, atoms), zeros(1, dtype: ScalarType.Float64)], 0)));
            var rhs = cat([-p.Electronegativity!.index_select(0, atoms), charges[s].view(1)], 0);
            var direct = linalg.solve(matrix, rhs)[..n];
            double error = MaceTestSystems.MaxDiff(q.index_select(0, atoms), direct);
            output.WriteLine($"structure {s}: q = [{string.Join(", ", q.index_select(0, atoms).data<double>().Select(x => x.ToString("F6")))}], |q − q_direct| {error:E2}");
            Assert.True(error < 1e-10, $"{error}");
        }
    }

    [Fact]
    public void Model_files_record_the_class_and_evaluate_as_the_model()
    {
        using var scope = NewDisposeScope();
        foreach (var c in new[] { ModelClass.LocalSplitCharges, ModelClass.MACEQEq })
        {
            using var model = Model(c, 6);
            string path = Path.Combine(Path.GetTempPath(), $"macescf-{c}-{Guid.NewGuid():N}.model");
            try
            {
                LocalSourceModelFile.Save(model, path);
                Assert.Equal(c.ToString(), LocalSourceModelFile.ReadHeader(path).ModelClass);
                using var loaded = LocalSourceModelFile.Load(path);
                var inputs = FixedPointTestSystems.Molecule();
                var x = Run(model, inputs);
                var y = Run(loaded, inputs);
                Assert.Equal(0.0, MaceTestSystems.MaxDiff(x.Energy, y.Energy));
                Assert.Equal(0.0, MaceTestSystems.MaxDiff(x.Density!, y.Density!));
            }
            finally
            {
                File.Delete(path);
            }
        }
    }
}
