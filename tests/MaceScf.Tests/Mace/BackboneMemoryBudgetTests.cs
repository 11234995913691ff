using MaceScf.Data;
using MaceScf.Mace;
using MaceScf.Models;
using MaceScf.Tests.Cli;
using MaceScf.Tests.MaceImport;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

/// The automatic chunks' memory budget is a fixed fraction of the machine's memory (<see cref="BackboneMemory.MachineBudget"/>), and a
/// graph kept for training counts <see cref="BackboneMemory.TrainingFactor"/> times its estimate: the decisions for issue 19's 128-channel
/// cases on machines of given sizes (docs/benchmarks.md, "A memory budget tied to the machine").
public sealed class BackboneMemoryBudgetTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-budget-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// `eval --backbone_memory_gb G` sets the budget: a budget below every estimate chunks the evaluation (energies and forces equal the
    /// default's to 1e-12), the log names the budget, the largest estimate and the blocks; a budget ≤ 0 is a usage error.
    [Fact]
    public void Eval_takes_the_budget_and_prints_the_decision()
    {
        string model = PythonMaceReferenceTests.ModelPath("mace_small_HO");
        string data = TestData.Path("mace-models", "mace_small_HO_structures.xyz");
        string plainPath = Path.Combine(_dir, "plain.xyz"), tinyPath = Path.Combine(_dir, "tiny.xyz");
        var (plainCode, plainText) = CliRunner.Run("eval", model, data, "-o", plainPath);
        var (tinyCode, tinyText) = CliRunner.Run("eval", model, data, "-o", tinyPath, "--backbone_memory_gb", "1e-9");
        output.WriteLine(plainText);
        output.WriteLine(tinyText);
        Assert.True(plainCode == 0, plainText);
        Assert.True(tinyCode == 0, tinyText);
        Assert.Contains($"backbone memory budget {BackboneMemory.MachineBudget.Bytes / 1e9:G3} GB (1/6 of", plainText);
        Assert.Contains("≤ budget", plainText);
        Assert.Contains("unchunked", plainText);
        Assert.Contains("backbone memory budget 1E-09 GB (--backbone_memory_gb); largest evaluation: ", tinyText);
        Assert.Contains("> budget", tinyText);
        var plain = ExtXyzReader.ReadAll(plainPath);
        var tiny = ExtXyzReader.ReadAll(tinyPath);
        for (int f = 0; f < plain.Count; f++)
        {
            Assert.Equal((double)plain[f].Info["macescf_energy"], (double)tiny[f].Info["macescf_energy"], 1e-12);
            var a = (double[,])plain[f].Arrays["macescf_forces"];
            var b = (double[,])tiny[f].Arrays["macescf_forces"];
            for (int i = 0; i < a.GetLength(0); i++)
                for (int d = 0; d < 3; d++) Assert.Equal(a[i, d], b[i, d], 1e-12);
        }
        var (bad, badText) = CliRunner.Run("eval", model, data, "-o", Path.Combine(_dir, "bad.xyz"), "--backbone_memory_gb", "0");
        Assert.Equal(2, bad);
        Assert.Contains("--backbone_memory_gb must be > 0", badText);
    }

    [Fact]
    public void The_budget_is_a_sixth_of_the_machines_memory_or_of_the_limit_set_for_the_process()
    {
        Assert.Equal(4e9, BackboneMemory.BudgetFor(24e9), 1e-3);
        Assert.Equal(25e9, BackboneMemory.MachineBytes(25e9, null)!.Value.Bytes);
        Assert.Equal(4e9, BackboneMemory.MachineBytes(25e9, "4")!.Value.Bytes);
        Assert.Equal(25e9, BackboneMemory.MachineBytes(25e9, "64")!.Value.Bytes);
        Assert.Equal(3e9, BackboneMemory.MachineBytes(0, "3")!.Value.Bytes);
        Assert.Null(BackboneMemory.MachineBytes(0, null));
        Assert.Null(BackboneMemory.MachineBytes(0, "none"));
        // This process's machine: the runtime knows its memory, and a new model takes the budget from it.
        var machine = BackboneMemory.MachineBytes();
        Assert.NotNull(machine);
        Assert.Equal(BackboneMemory.BudgetFor(machine.Value.Bytes), BackboneMemory.MachineBudget.Bytes);
        using var model = MaceTestSystems.Model(3);
        Assert.Equal(BackboneMemory.MachineBudget.Bytes, model.AutomaticChunkBytes);
        output.WriteLine($"budget {BackboneMemory.MachineBudget.Bytes / 1e9:F2} GB ({BackboneMemory.MachineBudget.Source})");
    }

    /// Issue 19's energy + forces of 512 atoms at 128 channels (26,931 edges, estimate 2.85 GB, unchunked peak 3.45 GiB) runs unchunked on
    /// this 25 GB machine, where the former fixed 2 GB budget blocked its contractions, and blocks its contractions and convolutions
    /// (1.72 GB) on an 8 GB machine; its training step on 8 × 64 atoms (26,368 edges, unchunked peak 9.67 GiB) blocks its contractions on
    /// the 25 GB machine (convolutions whole) and both on the 8 GB one.
    [Fact]
    public void Issue_19s_128_channel_cases_are_chunked_by_the_machines_size()
    {
        using var model = new MaceModel(new MaceHyperparameters
        {
            AtomicNumbers = [1, 8], RMax = 5.0, MaxEll = 3, Correlation = 3, NumInteractions = 2, HiddenIrreps = "128x0e+128x1o",
            AvgNumNeighbors = 52,
        });
        double inference = BackboneMemory.GraphBytes(model, 512, 26_931), training = BackboneMemory.GraphBytes(model, 512, 26_368);
        output.WriteLine($"graph estimates: E+F {inference / 1e9:F2} GB, training step {training / 1e9:F2} GB ({BackboneMemory.TrainingFactor * training / 1e9:F2} GB as training)");
        Assert.InRange(inference, 2.5e9, 3.2e9);
        int? nodes = model.NodeChunk(model.AutomaticEdgeChunk);
        model.AutomaticChunkBytes = BackboneMemory.BudgetFor(25.3e9);
        Assert.Equal(default, BackboneMemory.AutomaticChunks(model, 512, 26_931));
        Assert.Equal(new BackboneChunks(null, nodes), BackboneMemory.AutomaticChunks(model, 512, 26_368, training: true));
        Assert.Contains("unchunked", BackboneMemory.Describe(model, 512, 26_931));
        model.AutomaticChunkBytes = BackboneMemory.FallbackBudgetBytes;
        Assert.Equal(new BackboneChunks(null, nodes), BackboneMemory.AutomaticChunks(model, 512, 26_931));
        // The convolutions keep their edge attributes and weights (0.5 GB with a graph, SegmentContraction): an 8 GB machine runs
        // them whole; a 2 GB machine needs the edge chunks too.
        double convolutions = BackboneMemory.ConvolutionBytes(model, 512, 26_931, keepsGraph: true);
        Assert.InRange(convolutions, 0.45e9, 0.55e9);
        model.AutomaticChunkBytes = BackboneMemory.BudgetFor(8e9);
        Assert.Equal(new BackboneChunks(null, nodes), BackboneMemory.AutomaticChunks(model, 512, 26_931));
        Assert.Equal(new BackboneChunks(null, nodes), BackboneMemory.AutomaticChunks(model, 512, 26_368, training: true));
        model.AutomaticChunkBytes = BackboneMemory.BudgetFor(2e9);
        Assert.Equal(new BackboneChunks(model.AutomaticEdgeChunk, nodes), BackboneMemory.AutomaticChunks(model, 512, 26_931));
        Assert.Equal(new BackboneChunks(model.AutomaticEdgeChunk, nodes), BackboneMemory.AutomaticChunks(model, 512, 26_368, training: true));
        Assert.Contains("node blocks", BackboneMemory.Describe(model, 512, 26_931));
    }

    /// The largest evaluation's estimate and decision are recorded for the log of eval and ipi (the latest of equal sizes).
    [Fact]
    public void The_largest_evaluation_is_recorded_with_its_decision()
    {
        using var model = MaceTestSystems.Model(3);
        Assert.Null(model.LargestEvaluation);
        var (positions, species) = MaceTestSystems.Molecule(6, 11);
        var inputs = new SystemInputs(MaceTestSystems.Inputs(positions, species, MaceTestSystems.TriclinicCell()), ones(1, 3, dtype: ScalarType.Bool));
        using (NewDisposeScope()) model.Predict(inputs, new PredictionRequest());
        Assert.StartsWith($"6 atoms, {inputs.Graph.EdgeIndex.shape[1]} edges: ", model.LargestEvaluation);
        Assert.Contains("unchunked", model.LargestEvaluation);
        model.AutomaticChunkBytes = 1;
        using (NewDisposeScope()) model.Predict(inputs, new PredictionRequest());
        output.WriteLine(model.LargestEvaluation);
        Assert.Contains("> budget", model.LargestEvaluation);
    }
}
