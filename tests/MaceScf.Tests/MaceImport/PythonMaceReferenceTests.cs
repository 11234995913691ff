using System.Text.Json;
using MaceScf.Data;
using MaceScf.Mace;
using MaceScf.MaceImport;
using MaceScf.Tests.FixedPoint;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.MaceImport;

/// The two Python MACE files of data/mace-models (MACE v0.3.14, random weights) evaluated by our backbone give the Python
/// outputs: energy, per-atom energies, forces and stress of four structures each.
/// The structures file stores positions rounded to 1e-8 Å while Python evaluated the unrounded ones, which alone moves the
/// forces by ~1e-8 relative (docs/mace-import.md). So each frame is compared twice: at the file's positions within what the
/// rounding allows, and at the positions Python used, recovered by one Newton step on the forces (H δ = F_ours − F_Python):
/// the step must stay within the rounding (|δ| ≤ 1e-8 Å), and there energy, per-atom energies, forces and stress — N + 7
/// numbers the step does not fit — must equal Python's to 1e-10 relative.
public class PythonMaceReferenceTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-10;
    private const double RoundedPositionsForceTolerance = 1e-7;
    private const double RoundedPositionsEnergyTolerance = 1e-8;
    private const double PositionRounding = 1e-8;

    public static TheoryData<string> Models => new() { "mace_small_HO", "scaleshift_scalar_NaClO" };

    internal static string ModelPath(string name) => TestData.Path("mace-models", name + ".model");

    internal static List<Configuration> Structures(string name) => ExtXyzReader.Read(TestData.Path("mace-models", name + "_structures.xyz")).ToList();

    [Theory]
    [MemberData(nameof(Models))]
    public void OutputsEqualPython(string name)
    {
        using var imported = PythonMaceFile.Load(ModelPath(name));
        Assert.Equal(ReferenceParameterCount(name), imported.Model.ParameterCount);
        AssertOutputsEqualPython(imported.Model, name, output);
    }

    internal static long ReferenceParameterCount(string name)
    {
        using var reference = JsonDocument.Parse(File.ReadAllText(TestData.Path("mace-models", name + "_reference.json")));
        return reference.RootElement.GetProperty("num_parameters").GetInt64();
    }

    /// The model's energy, node energies, forces and stress on the fixture's four structures equal the Python outputs
    /// (relative, at Python's positions recovered by one Newton step from the file's rounded ones).
    internal static void AssertOutputsEqualPython(MaceModel model, string name, ITestOutputHelper output)
    {
        using var scope = NewDisposeScope();
        using var reference = JsonDocument.Parse(File.ReadAllText(TestData.Path("mace-models", name + "_reference.json")));
        var frames = Structures(name);
        var expected = reference.RootElement.GetProperty("outputs_per_frame").EnumerateArray().ToList();
        Assert.Equal(4, frames.Count);
        Assert.Equal(frames.Count, expected.Count);
        var species = new SpeciesTable(model.Hyperparameters.AtomicNumbers);
        var rounded = new Worst();
        var exact = new Worst();
        double worstStep = 0;
        for (int f = 0; f < frames.Count; f++)
        {
            using var batch = GraphBatch.Build([frames[f]], model.Hyperparameters.RMax, species);
            var inputs = MaceInputs.FromBatch(batch);
            var want = expected[f];
            var pythonForces = Flatten(want.GetProperty("forces"));
            rounded.Add(Compare(model, inputs, want));
            var step = PositionStep(model, inputs, pythonForces);
            worstStep = Math.Max(worstStep, step.abs().max().item<double>());
            exact.Add(Compare(model, inputs.WithGeometry(inputs.Positions.Plus(step), inputs.Cell), want));
        }
        output.WriteLine($"{name}, at the file's rounded positions: energy {rounded.Energy:E2}, node energies {rounded.Node:E2}, forces {rounded.Forces:E2}, stress {rounded.Stress:E2}");
        output.Report($"{name}: position step to Python's positions (Å)", worstStep, PositionRounding);
        output.Report($"{name}: energy", exact.Energy, Tolerance);
        output.Report($"{name}: node energies", exact.Node, Tolerance);
        output.Report($"{name}: forces", exact.Forces, Tolerance);
        output.Report($"{name}: stress", exact.Stress, Tolerance);
        Assert.True(rounded.Energy <= RoundedPositionsEnergyTolerance && rounded.Node <= RoundedPositionsEnergyTolerance);
        Assert.True(rounded.Forces <= RoundedPositionsForceTolerance && rounded.Stress <= RoundedPositionsForceTolerance);
    }

    /// Every state-dict entry of the Python model (the reference lists them; the TorchScript-internal `_compiled_*` constants
    /// live inside e3nn's code archives) is either copied into one of our weights or checked, and every weight of ours is filled.
    [Theory]
    [MemberData(nameof(Models))]
    public void EveryStateDictEntryIsMapped(string name)
    {
        using var imported = PythonMaceFile.Load(ModelPath(name));
        using var reference = JsonDocument.Parse(File.ReadAllText(TestData.Path("mace-models", name + "_reference.json")));
        var keys = reference.RootElement.GetProperty("state_dict_keys").EnumerateObject()
            .Select(p => p.Name).Where(k => !k.Contains("._compiled_")).Order().ToList();
        Assert.Equal(keys, imported.Mapping.Select(m => m.PythonName).Order().ToList());
        var targets = imported.Mapping.Where(m => m.Target is not null).Select(m => m.Target!).Order().ToList();
        var ours = imported.Model.named_parameters().Select(p => p.name).Concat(imported.Model.named_buffers().Select(b => b.name)).Order().ToList();
        Assert.Equal(ours, targets);
        Assert.Equal("mace.modules.models." + (name.StartsWith("scaleshift") ? "ScaleShiftMACE" : "MACE"), imported.Provenance.PythonClass);
        Assert.Equal(64, imported.Provenance.Sha256.Length);
    }

    private sealed class Worst
    {
        public double Energy, Node, Forces, Stress;

        public void Add((double E, double Node, double F, double S) d) =>
            (Energy, Node, Forces, Stress) = (Math.Max(Energy, d.E), Math.Max(Node, d.Node), Math.Max(Forces, d.F), Math.Max(Stress, d.S));
    }

    /// Relative differences (energy and interaction energy, node energies, forces, stress) from one frame's Python outputs.
    private static (double E, double Node, double F, double S) Compare(MaceModel model, MaceInputs inputs, JsonElement want)
    {
        bool stress = want.TryGetProperty("stress", out var stressJson);
        var p = model.Evaluate(inputs, computeStress: stress);
        double e = RelativeDifference([p.Energy.item<double>()], [want.GetProperty("energy").GetDouble()]);
        if (want.TryGetProperty("interaction_energy", out var inter))
            e = Math.Max(e, RelativeDifference([p.Term("local").item<double>()], [inter.GetDouble()]));
        return (e, RelativeDifference(Values(p.NodeEnergies!), Flatten(want.GetProperty("node_energy"))),
            RelativeDifference(Values(p.Forces!), Flatten(want.GetProperty("forces"))),
            stress ? RelativeDifference(Values(p.Stress!), Flatten(stressJson)) : 0);
    }

    /// The minimum-norm δ with H δ = F_ours − F_Python (H the Hessian at the file's positions): the offset of the positions
    /// Python evaluated, to first order.
    private static Tensor PositionStep(MaceModel model, MaceInputs inputs, double[] pythonForces)
    {
        int n = (int)inputs.Positions.shape[0];
        var positions = inputs.Positions.detach().clone().requires_grad_(true);
        var energy = model.forward(inputs.WithGeometry(positions, inputs.Cell)).Energy.sum();
        var gradient = torch.autograd.grad([energy], [positions], retain_graph: true, create_graph: true)[0].flatten();
        var rows = Enumerable.Range(0, 3 * n)
            .Select(i => torch.autograd.grad([gradient[i]], [positions], retain_graph: true)[0].flatten().detach()).ToArray();
        var hessian = torch.stack(rows);
        var mismatch = -gradient.detach() - torch.tensor(pythonForces, dtype: ScalarType.Float64);
        return linalg.pinv(hessian, 1e-10).matmul(mismatch).view(n, 3);
    }

    /// max |a − b| / max |b| (the relative difference of a whole array).
    internal static double RelativeDifference(double[] actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double scale = expected.Max(Math.Abs);
        return actual.Zip(expected).Max(t => Math.Abs(t.First - t.Second)) / scale;
    }

    internal static double[] Values(Tensor t) => t.detach().cpu().to_type(ScalarType.Float64).flatten().data<double>().ToArray();

    private static double[] Flatten(JsonElement e) => e.ValueKind == JsonValueKind.Array
        ? e.EnumerateArray().SelectMany(Flatten).ToArray()
        : [e.GetDouble()];
}
