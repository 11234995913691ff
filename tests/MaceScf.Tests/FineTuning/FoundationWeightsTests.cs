using MaceScf.Data;
using MaceScf.Equivariant;
using MaceScf.FineTuning;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.MaceImport;
using MaceScf.ModelFiles;
using MaceScf.Tests.MaceImport;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FineTuning;

/// Loading a foundation backbone (the Python fixture models of data/mace-models) into a freshly built backbone: the loaded
/// backbone computes the foundation's energies, per-atom energies and forces — for the fixed-point model's backbone layout
/// (last layer with the hidden irreps, (y, z, x) edge harmonics) and for a subset of the foundation's elements.
public class FoundationWeightsTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-12;

    [Theory]
    [MemberData(nameof(PythonMaceReferenceTests.Models), MemberType = typeof(PythonMaceReferenceTests))]
    public void SameElementsAndLayoutCopiesBitForBit(string name)
    {
        using var foundation = PythonMaceFile.Load(PythonMaceReferenceTests.ModelPath(name));
        random.manual_seed(3);
        using var target = new MaceModel(foundation.Hyperparameters);
        var transfer = FoundationWeights.LoadInto(foundation.Model, target);
        Assert.Empty(transfer.KeptInitialised);
        var theirs = foundation.Model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        foreach (var (pName, p) in target.named_parameters())
            Assert.True(p.eq(theirs[pName]).all().item<bool>(), pName);
    }

    /// The fixed-point model's backbone: the scalar blocks of the last layer come from the foundation, the 1o blocks keep their
    /// initialisation, and the (y, z, x) order of the edge harmonics is a rotation of every edge: the energies are the same.
    [Fact]
    public void FixedPointLayoutReproducesTheFoundation()
    {
        using var foundation = PythonMaceFile.Load(PythonMaceReferenceTests.ModelPath("mace_small_HO"));
        random.manual_seed(3);
        using var target = new MaceModel(foundation.Hyperparameters with { KeepLastLayerIrreps = true, EdgeVectorOrder = VectorOrder.Yzx });
        var transfer = FoundationWeights.LoadInto(foundation.Model, target);
        output.WriteLine("kept at initialisation: " + string.Join("; ", transfer.KeptInitialised));
        Assert.Equal(
        [
            "interactions.1.skip_tp.weight: 16x1o ⊗ 2x0e → 16x1o",
            "products.1.symmetric_contractions.contractions.1: output 16x1o",
            "products.1.linear.weight: 16x1o → 16x1o",
        ], transfer.KeptInitialised);
        var worst = Compare(foundation.Model, target, PythonMaceReferenceTests.Structures("mace_small_HO"), foundation.Hyperparameters.AtomicNumbers);
        output.Report("fixed-point layout vs foundation (energy, node energies, forces)", worst, Tolerance);
    }

    /// MACE's element filter: the backbone for a subset of the elements gives, on structures of those elements only, the
    /// foundation's numbers (one-hot embedding and skip_tp rescaled for the smaller fan-in, contraction rows selected).
    [Theory]
    [InlineData("mace_small_HO", new[] { 8 })]
    [InlineData("mace_small_HO", new[] { 1 })]
    [InlineData("scaleshift_scalar_NaClO", new[] { 11, 17 })]
    [InlineData("scaleshift_scalar_NaClO", new[] { 8, 17 })]
    public void ElementSubsetReproducesTheFoundation(string name, int[] elements)
    {
        using var foundation = PythonMaceFile.Load(PythonMaceReferenceTests.ModelPath(name));
        random.manual_seed(3);
        using var target = new MaceModel(foundation.Hyperparameters with { AtomicNumbers = elements, E0s = foundation.Hyperparameters.E0s });
        FoundationWeights.LoadInto(foundation.Model, target);
        var frames = PythonMaceReferenceTests.Structures(name).Select(c => Keep(c, elements)).Where(c => c.AtomCount > 1).ToList();
        Assert.NotEmpty(frames);
        var worst = Compare(foundation.Model, target, frames, elements);
        output.Report($"{name} restricted to Z = {string.Join(", ", elements)}", worst, Tolerance);
    }

    [Fact]
    public void RefusesElementsTheFoundationLacksAndAnotherArchitecture()
    {
        using var foundation = PythonMaceFile.Load(PythonMaceReferenceTests.ModelPath("mace_small_HO"));
        using var withCarbon = new MaceModel(foundation.Hyperparameters with { AtomicNumbers = [1, 6, 8] });
        var e = Assert.Throws<ArgumentException>(() => FoundationWeights.LoadInto(foundation.Model, withCarbon, "'mace_small_HO.model'"));
        Assert.Contains("'mace_small_HO.model' has no weights for C (it has H, O)", e.Message);
        using var wider = new MaceModel(foundation.Hyperparameters with { HiddenIrreps = "8x0e+8x1o", Correlation = 2 });
        e = Assert.Throws<ArgumentException>(() => FoundationWeights.LoadInto(foundation.Model, wider));
        Assert.Contains("hidden_irreps 8x0e+8x1o (the foundation's: 16x0e+16x1o)", e.Message);
        Assert.Contains("correlation 2 (the foundation's: 3)", e.Message);
    }

    /// A foundation read from our MACE model file (`macescf convert`) or from a fixed-point model file (its backbone, with a
    /// ScaleShiftMACE's scale and shift) loads like the Python file.
    [Fact]
    public void EveryFoundationFileKindLoads()
    {
        string folder = Directory.CreateTempSubdirectory("macescf-foundation-").FullName;
        try
        {
            using var python = FoundationModel.Load(PythonMaceReferenceTests.ModelPath("scaleshift_scalar_NaClO"));
            Assert.Equal(ModelFileKind.PythonMace, python.Kind);
            string converted = Path.Combine(folder, "naclo.macescf");
            MaceModelFile.Save(python.Backbone, converted);
            string fixedPoint = Path.Combine(folder, "naclo-fixedpoint.model");
            random.manual_seed(4);
            using (var model = new FixedPointModel(new FixedPointHyperparameters { Mace = python.Hyperparameters with { AtomicNumbers = [11, 17] } }))
            {
                FoundationWeights.LoadInto(python.Backbone, model.Backbone);
                ModelFile.Save(model, fixedPoint);
            }
            var frames = PythonMaceReferenceTests.Structures("scaleshift_scalar_NaClO").Select(c => Keep(c, [11, 17])).Where(c => c.AtomCount > 1).ToList();
            foreach (var (file, kind) in new[] { (converted, ModelFileKind.Mace), (fixedPoint, ModelFileKind.FixedPoint) })
            {
                using var foundation = FoundationModel.Load(file);
                Assert.Equal(kind, foundation.Kind);
                Assert.Equal(1.7, foundation.Hyperparameters.AtomicInterScale);
                random.manual_seed(3);
                using var target = new MaceModel(python.Hyperparameters with { AtomicNumbers = [11, 17] });
                FoundationWeights.LoadInto(foundation.Backbone, target);
                output.Report($"{kind} foundation restricted to Na, Cl vs the Python file", Compare(python.Backbone, target, frames, [11, 17]), Tolerance);
            }
        }
        finally
        {
            Directory.Delete(folder, true);
        }
    }

    /// The frame with only the atoms of the given elements (cell and pbc kept).
    internal static Configuration Keep(Configuration c, int[] elements)
    {
        var atoms = Enumerable.Range(0, c.AtomCount).Where(i => elements.Contains(c.AtomicNumbers[i])).ToArray();
        var positions = new double[atoms.Length, 3];
        for (int k = 0; k < atoms.Length; k++)
            for (int a = 0; a < 3; a++) positions[k, a] = c.Positions[atoms[k], a];
        return new Configuration(atoms.Select(i => c.AtomicNumbers[i]).ToArray(), positions, c.Cell, c.Pbc);
    }

    /// Largest relative difference of energy, per-atom energies and forces over the frames.
    private static double Compare(MaceModel foundation, MaceModel target, IEnumerable<Configuration> frames, IReadOnlyList<int> targetElements)
    {
        double worst = 0;
        foreach (var frame in frames)
        {
            using var scope = NewDisposeScope();
            var (e1, n1, f1) = Evaluate(foundation, frame);
            var (e2, n2, f2) = Evaluate(target, frame);
            Assert.Equal(targetElements, target.Hyperparameters.AtomicNumbers);
            worst = Math.Max(worst, Relative([e1], [e2]));
            worst = Math.Max(worst, Relative(n1, n2));
            worst = Math.Max(worst, Relative(f1, f2));
        }
        return worst;
    }

    private static (double Energy, double[] Node, double[] Forces) Evaluate(MaceModel model, Configuration frame)
    {
        using var scope = NewDisposeScope();
        using var batch = GraphBatch.Build([frame], model.Hyperparameters.RMax, new SpeciesTable(model.Hyperparameters.AtomicNumbers));
        var inputs = MaceInputs.FromBatch(batch);
        var positions = inputs.Positions.detach().clone().requires_grad_();
        var result = model.forward(inputs.WithGeometry(positions, inputs.Cell));
        var forces = -torch.autograd.grad([result.Energy.sum()], [positions])[0];
        return (result.Energy.item<double>(), result.NodeEnergy.detach().data<double>().ToArray(), forces.data<double>().ToArray());
    }

    private static double Relative(double[] a, double[] b)
    {
        double scale = Math.Max(a.Max(Math.Abs), 1e-300);
        return a.Zip(b, (x, y) => Math.Abs(x - y)).Max() / scale;
    }
}
