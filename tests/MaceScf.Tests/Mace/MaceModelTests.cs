using MaceScf.Equivariant;
using MaceScf.Mace;
using MaceScf.Tests.Equivariant;
using MaceScf.Tests.FixedPoint;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;
using static MaceScf.Tests.Mace.MaceTestSystems;

namespace MaceScf.Tests.Mace;

/// Whole-model physics: invariances, extensivity, finite-difference forces and stress, smoothness at the cutoff.
public class MaceModelTests(ITestOutputHelper output)
{
    public static TheoryData<string> FirstBlocks => new() { InteractionKinds.Residual, InteractionKinds.NonResidual };

    private static MaceInputs Molecule() { var (p, s) = MaceTestSystems.Molecule(6, 21); return Inputs(p, s, null); }

    private static MaceInputs Crystal()
    {
        var (p, s) = MaceTestSystems.Molecule(4, 22);
        return Inputs(p, s, TriclinicCell());
    }

    private static MaceInputs Transformed(MaceInputs inputs, Tensor g, Tensor translation) =>
        inputs.WithGeometry(inputs.Positions.matmul(g.T).Plus(translation), inputs.Cell.matmul(g.T));

    [Theory]
    [MemberData(nameof(FirstBlocks))]
    public void EnergyIsInvariantAndForcesRotate(string first)
    {
        using var scope = NewDisposeScope();
        var model = Model(31, first);
        var rng = new System.Random(5);
        foreach (var (name, inputs) in new[] { ("molecule", Molecule()), ("crystal", Crystal()) })
        {
            var reference = model.Evaluate(inputs);
            double e = reference.Term("local").item<double>();
            double forceScale = MaxAbs(reference.Forces!);
            double worstE = 0, worstF = 0;
            for (int trial = 0; trial < 4; trial++)
            {
                var g = Reference.Orthogonal(rng, improper: trial % 2 == 1);
                var t = torch.tensor(new[] { rng.NextDouble() * 5 - 2.5, rng.NextDouble() * 5 - 2.5, rng.NextDouble() * 5 - 2.5 }, dtype: ScalarType.Float64);
                var moved = model.Evaluate(Transformed(inputs, g, t));
                worstE = Math.Max(worstE, Math.Abs(moved.Term("local").item<double>() - e) / Math.Abs(e));
                worstF = Math.Max(worstF, MaxDiff(moved.Forces!, reference.Forces!.matmul(g.T)) / forceScale);
            }
            output.Report($"{first} {name}: relative energy change under rotation/reflection/translation", worstE, 1e-10);
            output.Report($"{first} {name}: relative force error F(gr) − g F(r)", worstF, 1e-10);
        }
    }

    /// Per-layer node features of a model keeping all hidden irreps transform with D(g) of their irreps, for harmonics of
    /// (x, y, z) as MACE and of (y, z, x) as the fixed-point model.
    [Theory]
    [InlineData(nameof(VectorOrder.Xyz))]
    [InlineData(nameof(VectorOrder.Yzx))]
    public void LayerFeaturesAreEquivariant(string orderName)
    {
        var order = Enum.Parse<VectorOrder>(orderName);
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var model = Model(32, keepLastLayerIrreps: true, order: order);
        var inputs = Crystal();
        var reference = model.forward(inputs);
        var rng = new System.Random(6);
        for (int trial = 0; trial < 2; trial++)
        {
            var g = Reference.Orthogonal(rng, improper: trial == 1);
            var moved = model.forward(Transformed(inputs, g, torch.zeros(3, dtype: ScalarType.Float64)));
            for (int t = 0; t < model.LayerIrreps.Count; t++)
            {
                var d = WignerD.ForIrreps(model.LayerIrreps[t], g, order);
                double err = MaxDiff(moved.NodeFeatures[t], reference.NodeFeatures[t].matmul(d.T)) / MaxAbs(reference.NodeFeatures[t]);
                output.Report($"{order} layer {t} ({model.LayerIrreps[t]}), {(trial == 1 ? "improper" : "proper")}: relative error", err, 1e-10);
                Assert.True(MaxDiff(moved.NodeEnergies[t], reference.NodeEnergies[t]) <= 1e-10 * MaxAbs(reference.NodeEnergies[t]));
            }
        }
    }

    [Fact]
    public void EnergyIsInvariantUnderPermutation()
    {
        using var scope = NewDisposeScope();
        var model = Model(33);
        var (p, s) = MaceTestSystems.Molecule(6, 23);
        int[] perm = [3, 0, 5, 1, 4, 2];
        var pp = new double[6, 3];
        for (int i = 0; i < 6; i++) for (int d = 0; d < 3; d++) pp[i, d] = p[perm[i], d];
        var reference = model.Evaluate(Inputs(p, s, TriclinicCell()));
        var permuted = model.Evaluate(Inputs(pp, perm.Select(i => s[i]).ToArray(), TriclinicCell()));
        output.Report("relative energy change under permutation",
            Math.Abs(permuted.Term("local").item<double>() - reference.Term("local").item<double>()) / Math.Abs(reference.Term("local").item<double>()), 1e-12);
        output.Report("force error under permutation",
            MaxDiff(permuted.Forces!, reference.Forces!.index_select(0, torch.tensor(perm.Select(i => (long)i).ToArray()))), 1e-11);
    }

    /// The same crystal described by a 2×1×1 and a 1×1×3 supercell, by a sheared unimodular cell and with atoms moved by
    /// lattice vectors: the energy is the same per primitive cell.
    [Fact]
    public void EnergyDoesNotDependOnTheChoiceOfPeriodicCell()
    {
        using var scope = NewDisposeScope();
        var model = Model(34);
        var (p, s) = MaceTestSystems.Molecule(3, 24);
        var cell = TriclinicCell();
        double e = InteractionEnergy(model, Inputs(p, s, cell));
        double scale = Math.Abs(e);
        foreach (var (n, axis) in new[] { (2, 0), (3, 2) })
        {
            var (sp, ss, sc) = Supercell(p, s, cell, n, axis);
            output.Report($"relative error of the {n}-fold supercell along {axis}", Math.Abs(InteractionEnergy(model, Inputs(sp, ss, sc)) - n * e) / (n * scale), 1e-10);
        }
        // Sheared cell a' = a, b' = b + a, c' = c − 2b, and atom 1 moved by a + c.
        var sheared = new double[3, 3];
        var moved = (double[,])p.Clone();
        for (int d = 0; d < 3; d++)
        {
            sheared[0, d] = cell[0, d];
            sheared[1, d] = cell[1, d] + cell[0, d];
            sheared[2, d] = cell[2, d] - 2 * cell[1, d];
            moved[1, d] += cell[0, d] + cell[2, d];
        }
        output.Report("relative error with a sheared cell and wrapped atoms", Math.Abs(InteractionEnergy(model, Inputs(moved, s, sheared)) - e) / scale, 1e-10);
    }

    /// Two copies of a molecule 20 Å apart have twice the energy; a batch of two graphs gives each graph's own energy.
    [Fact]
    public void EnergyIsExtensiveAndBatchesAreIndependent()
    {
        using var scope = NewDisposeScope();
        var model = Model(35, InteractionKinds.NonResidual);
        var (p, s) = MaceTestSystems.Molecule(5, 25);
        double single = InteractionEnergy(model, Inputs(p, s, null));
        var pair = new double[10, 3];
        for (int i = 0; i < 5; i++)
        for (int d = 0; d < 3; d++)
        {
            pair[i, d] = p[i, d];
            pair[i + 5, d] = p[i, d] + (d == 0 ? 20 : 0);
        }
        double scale = Math.Abs(single);
        output.Report("relative error of E(two far copies) − 2E", Math.Abs(InteractionEnergy(model, Inputs(pair, [.. s, .. s], null)) - 2 * single) / scale, 1e-12);

        var crystal = Crystal();
        var molecule = Inputs(p, s, null);
        using var noGrad = torch.no_grad();
        var batched = model.forward(Concat(molecule, crystal)).InteractionEnergy;
        output.Report("batched graph 0 vs alone", Math.Abs(batched[0].item<double>() - InteractionEnergy(model, molecule)) / scale, 1e-12);
        output.Report("batched graph 1 vs alone", Math.Abs(batched[1].item<double>() - InteractionEnergy(model, crystal)) / scale, 1e-12);
    }

    /// Inputs taken from a collated GraphBatch (a molecule without cell and a crystal) give each structure's own energy.
    [Fact]
    public void GraphBatchInputsGiveEachStructuresEnergy()
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var model = Model(42);
        var (pm, sm) = MaceTestSystems.Molecule(5, 26);
        var (pc, sc) = MaceTestSystems.Molecule(4, 27);
        int[] z = [1, 8];
        var configurations = new[]
        {
            new MaceScf.Data.Configuration(sm.Select(i => z[i]).ToArray(), pm, null, [false, false, false]),
            new MaceScf.Data.Configuration(sc.Select(i => z[i]).ToArray(), pc, TriclinicCell(), [true, true, true]),
        };
        using var batch = MaceScf.Data.GraphBatch.Build(configurations, RMax, new MaceScf.Data.SpeciesTable(z));
        var energies = model.forward(MaceInputs.FromBatch(batch)).Energy;
        double e0 = Energy(model, Inputs(pm, sm, null)), e1 = Energy(model, Inputs(pc, sc, TriclinicCell()));
        output.Report("molecule from a GraphBatch (eV)", Math.Abs(energies[0].item<double>() - e0), 1e-10);
        output.Report("crystal from a GraphBatch (eV)", Math.Abs(energies[1].item<double>() - e1), 1e-10);
    }

    [Fact]
    public void EnergyContainsTheAtomicReferenceEnergies()
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        var model = Model(36);
        var inputs = Molecule();
        var result = model.forward(inputs);
        var species = inputs.Species.data<long>().ToArray();
        Assert.Equal(Energy0(model, species), (result.Energy - result.InteractionEnergy).item<double>(), 10);
        Assert.Equal(result.NodeEnergy.sum().item<double>(), result.Energy.item<double>(), 10);
        Assert.Equal(0.0, MaxDiff(result.NodeEnergy - result.NodeE0, result.NodeEnergies[0].Plus(result.NodeEnergies[1])), 12);
    }

    [Theory]
    [MemberData(nameof(FirstBlocks))]
    public void ForcesAreMinusTheFiniteDifferenceGradient(string first)
    {
        using var scope = NewDisposeScope();
        var model = Model(37, first);
        foreach (var (name, inputs) in new[] { ("molecule", Molecule()), ("crystal", Crystal()) })
        {
            var forces = model.Evaluate(inputs).Forces!;
            var fd = FiniteDifferenceForces(model, inputs, 1e-4);
            output.Report($"{first} {name}: relative |F − F_fd|", MaxDiff(forces, fd) / MaxAbs(forces), 1e-6);
        }
    }

    [Fact]
    public void StressIsTheFiniteDifferenceStrainDerivative()
    {
        using var scope = NewDisposeScope();
        var model = Model(38);
        var inputs = Crystal();
        var result = model.Evaluate(inputs, computeForces: true, computeStress: true);
        double volume = linalg.det(inputs.Cell[0]).abs().item<double>();
        var fd = new double[9];
        const double h = 1e-5;
        for (int i = 0; i < 3; i++)
        for (int j = 0; j < 3; j++)
        {
            double Strained(double eps)
            {
                var strain = torch.eye(3, dtype: ScalarType.Float64);
                strain[i, j] = strain[i, j].Plus(eps);
                return InteractionEnergy(model, inputs.WithGeometry(inputs.Positions.matmul(strain), inputs.Cell.matmul(strain)));
            }
            fd[3 * i + j] = (Strained(h) - Strained(-h)) / (2 * h);
        }
        var dEdStrain = torch.tensor(fd, [1, 3, 3], dtype: ScalarType.Float64);
        output.Report("relative |virial + dE/dε_fd|", MaxDiff(result.Virials!, -dEdStrain) / MaxAbs(dEdStrain), 1e-6);
        output.Report("relative |stress − (dE/dε_fd)/V|", MaxDiff(result.Stress!, dEdStrain.DividedBy(volume)) / MaxAbs(dEdStrain.DividedBy(volume)), 1e-6);
        output.Report("asymmetry of the stress", MaxDiff(result.Stress!, result.Stress!.transpose(1, 2)) / MaxAbs(result.Stress!), 1e-12);
    }

    /// An atom leaving r_max: energy and forces are continuous (the envelope is C² at r_max).
    [Fact]
    public void EnergyAndForcesAreContinuousAtTheCutoff()
    {
        using var scope = NewDisposeScope();
        var model = Model(39);
        var inside = At(RMax - 1e-6);
        var outside = At(RMax + 1e-6);
        var a = model.Evaluate(inside);
        var b = model.Evaluate(outside);
        double forceScale = MaxAbs(a.Forces!);
        output.Report("interaction energy jump across r_max (eV)", Math.Abs(a.Term("local").item<double>() - b.Term("local").item<double>()), 1e-12);
        output.Report("relative force jump across r_max", MaxDiff(a.Forces!, b.Forces!) / forceScale, 1e-9);
        // Further out the atom is isolated: its energy no longer depends on the distance.
        output.Report("interaction energy change beyond r_max (eV)",
            Math.Abs(b.Term("local").item<double>() - model.Evaluate(At(RMax + 0.3)).Term("local").item<double>()), 1e-12);

        static MaceInputs At(double distance)
        {
            // Atoms 0 and 1 bonded; atom 2 on the far side of atom 1 at the given distance from it.
            var p = new double[,] { { 0, 0, 0 }, { 1.1, 0.3, 0 }, { 1.1 + distance * 0.8, 0.3 + distance * 0.6, 0 } };
            return Inputs(p, [0, 1, 0], null);
        }
    }

    /// Force training: the gradient of Σ F² with respect to a weight (double backward) equals its finite difference.
    [Fact]
    public void ForceLossGradientMatchesFiniteDifferences()
    {
        using var scope = NewDisposeScope();
        var model = Model(40);
        var inputs = Crystal();
        var weight = model.named_parameters().First(p => p.name == "interactions.1.conv_tp_weights.layer0.weight").parameter;
        var prediction = model.Evaluate(inputs, computeStress: true, createGraph: true);
        var loss = prediction.Forces!.Squared().sum().Plus(prediction.Stress!.Squared().sum());
        var grad = torch.autograd.grad([loss], [weight])[0];
        double Loss(double delta)
        {
            using var inner = NewDisposeScope();
            using (torch.no_grad()) weight[1, 2] = weight[1, 2].Plus(delta);
            var p = model.Evaluate(inputs, computeStress: true);
            double value = (p.Forces!.Squared().sum().Plus(p.Stress!.Squared().sum())).item<double>();
            using (torch.no_grad()) weight[1, 2] = weight[1, 2].Minus(delta);
            return value;
        }
        const double h = 1e-5;
        double fd = (Loss(h) - Loss(-h)) / (2 * h);
        double analytic = grad[1, 2].item<double>();
        output.Report("relative error of d(ΣF² + Σσ²)/dw", Math.Abs(analytic - fd) / Math.Abs(analytic), 1e-6);
    }

    /// A float32 model runs on float64 inputs, returns float32 results and is invariant to float32 precision.
    [Fact]
    public void Float32ModelRunsAndIsInvariant()
    {
        using var scope = NewDisposeScope();
        torch.random.manual_seed(41);
        var model = new MaceModel(Hyperparameters(), ScalarType.Float32);
        var inputs = Crystal();
        var reference = model.Evaluate(inputs, computeStress: true);
        Assert.Equal(ScalarType.Float32, reference.Energy.dtype);
        Assert.Equal(ScalarType.Float32, reference.Forces!.dtype);
        var g = Reference.Orthogonal(new System.Random(3), improper: true);
        var moved = model.Evaluate(Transformed(inputs, g, torch.zeros(3, dtype: ScalarType.Float64)));
        double e = reference.Term("local").item<float>();
        output.Report("float32: relative energy change under an improper rotation", Math.Abs(moved.Term("local").item<float>() - e) / Math.Abs(e), 1e-5);
        output.Report("float32: relative force error", MaxDiff(moved.Forces!, reference.Forces!.matmul(g.T.to_type(ScalarType.Float32))) / MaxAbs(reference.Forces!), 1e-5);
    }

    private static Tensor FiniteDifferenceForces(MaceModel model, MaceInputs inputs, double h)
    {
        long n = inputs.Positions.shape[0];
        var fd = torch.zeros(n, 3, dtype: ScalarType.Float64);
        for (int i = 0; i < n; i++)
        for (int d = 0; d < 3; d++)
        {
            var plus = inputs.Positions.clone();
            plus[i, d] = plus[i, d].Plus(h);
            var minus = inputs.Positions.clone();
            minus[i, d] = minus[i, d].Minus(h);
            double e = InteractionEnergy(model, inputs.WithGeometry(plus, inputs.Cell)) - InteractionEnergy(model, inputs.WithGeometry(minus, inputs.Cell));
            fd[i, d] = -e / (2 * h);
        }
        return fd;
    }

    private static double InteractionEnergy(MaceModel model, MaceInputs inputs)
    {
        using var scope = NewDisposeScope();
        using var noGrad = torch.no_grad();
        return model.forward(inputs).InteractionEnergy.sum().item<double>();
    }

    private static double Energy0(MaceModel model, long[] species)
    {
        var e0 = model.AtomicEnergies.Values.data<double>().ToArray();
        return species.Sum(z => e0[z]);
    }

    private static (double[,] Positions, long[] Species, double[,] Cell) Supercell(double[,] p, long[] s, double[,] cell, int n, int axis)
    {
        int atoms = s.Length;
        var positions = new double[atoms * n, 3];
        var species = new long[atoms * n];
        var super = (double[,])cell.Clone();
        for (int d = 0; d < 3; d++) super[axis, d] = n * cell[axis, d];
        for (int k = 0; k < n; k++)
        for (int i = 0; i < atoms; i++)
        {
            species[k * atoms + i] = s[i];
            for (int d = 0; d < 3; d++) positions[k * atoms + i, d] = p[i, d] + k * cell[axis, d];
        }
        return (positions, species, super);
    }

    private static MaceInputs Concat(MaceInputs a, MaceInputs b)
    {
        long na = a.Positions.shape[0];
        return new MaceInputs(
            torch.cat([a.Positions, b.Positions], 0),
            torch.cat([a.Species, b.Species], 0),
            torch.cat([a.EdgeIndex, b.EdgeIndex.Plus(na)], 1),
            torch.cat([a.UnitShifts, b.UnitShifts], 0),
            torch.cat([a.Cell, b.Cell], 0),
            torch.cat([a.Batch, b.Batch.Plus(a.NumGraphs)], 0),
            a.NumGraphs + b.NumGraphs);
    }
}
