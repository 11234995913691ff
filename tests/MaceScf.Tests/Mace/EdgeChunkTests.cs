using MaceScf.Mace;
using MaceScf.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

/// The edge-chunked convolution and the node-blocked symmetric contraction (<see cref="MaceModel.EdgeChunkSize"/>,
/// `--edge_chunk_size`): energy, node energies, forces, stress and the parameter gradient of a force loss (double backward) equal
/// the unchunked ones to 1e-12.
public sealed class EdgeChunkTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-12;

    [Theory]
    [InlineData(InteractionKinds.Residual, 7)]
    [InlineData(InteractionKinds.NonResidual, 50)]
    public void Chunked_energy_forces_and_stress_equal_the_unchunked_ones(string first, int chunk)
    {
        using var model = MaceTestSystems.Model(3, first);
        var inputs = Periodic();
        Assert.True(inputs.Graph.EdgeIndex.shape[1] > 2 * chunk, "several chunks, the last one partial");
        var request = new PredictionRequest { Stress = true };
        var (plain, plainNodes, plainForces, plainStress) = Predict(model, inputs, request);
        model.EdgeChunkSize = chunk;
        // chunk 7 at avg_num_neighbors 3: the contractions in blocks of 2 of the 6 nodes; chunk 50: all nodes at once.
        Assert.Equal(chunk == 7 ? 2 : 17, model.NodeChunk(model.EdgeChunkSize));
        var (chunked, chunkedNodes, chunkedForces, chunkedStress) = Predict(model, inputs, request);
        output.WriteLine($"edges {inputs.Graph.EdgeIndex.shape[1]}, chunk {chunk}: |ΔE| {Math.Abs(plain - chunked):E2}, "
            + $"|ΔF| {MaxDifference(plainForces, chunkedForces):E2}, |Δσ| {MaxDifference(plainStress, chunkedStress):E2}");
        Assert.Equal(plain, chunked, Tolerance);
        Assert.InRange(MaxDifference(plainNodes, chunkedNodes), 0, Tolerance);
        Assert.InRange(MaxDifference(plainForces, chunkedForces), 0, Tolerance);
        Assert.InRange(MaxDifference(plainStress, chunkedStress), 0, Tolerance);
    }

    /// Force training through the chunked convolution: the gradient of E² + ΣF² with respect to every parameter (a double
    /// backward through the recomputed blocks) equals the unchunked one.
    [Fact]
    public void Chunked_force_loss_gradients_equal_the_unchunked_ones()
    {
        using var model = MaceTestSystems.Model(4);
        var inputs = Periodic();
        var plain = LossGradient(model, inputs);
        model.EdgeChunkSize = 11;
        // 11 edges at avg_num_neighbors 3: the contractions run in blocks of 4 of the 6 nodes.
        Assert.Equal(4, model.NodeChunk(model.EdgeChunkSize));
        var chunked = LossGradient(model, inputs);
        double largest = plain.Zip(chunked).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"{plain.Length} parameters, largest |Δ∂L/∂θ| {largest:E2}, largest |∂L/∂θ| {plain.Max(Math.Abs):E2}");
        Assert.True(plain.Max(Math.Abs) > 1e-3, "the loss depends on the parameters");
        // Gradients reach ~5e3 here, where 1e-12 is below one rounding step: the bound is 1e-12 or 1e-15 of the largest.
        Assert.InRange(largest, 0, Tolerance * Math.Max(1, plain.Max(Math.Abs) / 1e3));
    }

    /// A graph whose estimated memory (<see cref="BackboneMemory.GraphBytes"/>) exceeds the model's budget runs in edge chunks
    /// without being asked: the same bits as the chunks set by hand, the unchunked results to 1e-12; below the budget it does not.
    /// The automatic chunk is passed to the blocks of that evaluation: the model's own setting stays null.
    [Fact]
    public void Chunks_are_chosen_automatically_above_the_memory_budget()
    {
        using var model = MaceTestSystems.Model(3);
        var inputs = Periodic();
        long nodes = inputs.NumAtoms, edges = inputs.Graph.EdgeIndex.shape[1];
        double estimate = BackboneMemory.GraphBytes(model, nodes, edges);
        Assert.True(estimate > 0);
        Assert.Equal(2 * estimate, BackboneMemory.GraphBytes(model, 2 * nodes, 2 * edges), 1e-6 * estimate);
        Assert.Equal(default, BackboneMemory.AutomaticChunks(model, nodes, edges));
        var request = new PredictionRequest { Stress = true };
        var plain = Predict(model, inputs, request);
        model.EdgeChunkSize = 7;
        var byHand = Predict(model, inputs, request);
        model.EdgeChunkSize = null;
        model.AutomaticEdgeChunk = 7;
        model.AutomaticChunkBytes = BackboneMemory.ConvolutionBytes(model, nodes, edges, keepsGraph: true) / 2;
        Assert.Equal(new BackboneChunks(7, model.NodeChunk(7)), BackboneMemory.AutomaticChunks(model, nodes, edges));
        var automatic = Predict(model, inputs, request);
        Assert.Null(model.EdgeChunkSize);
        Assert.Equal(byHand.Forces, automatic.Forces);
        Assert.Equal(byHand.Stress, automatic.Stress);
        Assert.Equal(byHand.Energy, automatic.Energy);
        output.WriteLine($"estimate {estimate:E3} B for {nodes} atoms, {edges} edges; |ΔF| automatic − unchunked {MaxDifference(plain.Forces, automatic.Forces):E2}");
        Assert.Equal(plain.Energy, automatic.Energy, Tolerance);
        Assert.InRange(MaxDifference(plain.Forces, automatic.Forces), 0, Tolerance);
        Assert.InRange(MaxDifference(plain.Stress, automatic.Stress), 0, Tolerance);
    }

    /// Above the budget but with the convolutions' own part below it, only the symmetric contractions run in node blocks (the
    /// convolutions whole, not recomputed): energy, forces, stress and the parameter gradient of a force loss (double backward through
    /// the node blocks) equal the unchunked ones. A backbone that does not put the contractions first blocks both.
    [Fact]
    public void Only_the_contractions_are_blocked_when_the_convolutions_fit_the_budget()
    {
        using var model = MaceTestSystems.Model(4);
        var inputs = Periodic();
        long nodes = inputs.NumAtoms, edges = inputs.Graph.EdgeIndex.shape[1];
        double graph = BackboneMemory.GraphBytes(model, nodes, edges), convolutions = BackboneMemory.ConvolutionBytes(model, nodes, edges, keepsGraph: true);
        Assert.InRange(convolutions, 0.05 * graph, 0.95 * graph);
        var request = new PredictionRequest { Stress = true };
        var plain = Predict(model, inputs, request);
        var plainGradient = LossGradient(model, inputs);
        model.AutomaticEdgeChunk = 11;
        model.AutomaticChunkBytes = (graph + convolutions) / 2;
        // 11 edges at avg_num_neighbors 3: blocks of 4 of the 6 nodes.
        Assert.Equal(new BackboneChunks(null, 4), BackboneMemory.AutomaticChunks(model, nodes, edges));
        var blocked = Predict(model, inputs, request);
        var blockedGradient = LossGradient(model, inputs);
        model.ContractionsFirst = false;
        Assert.Equal(new BackboneChunks(11, 4), BackboneMemory.AutomaticChunks(model, nodes, edges));
        double largest = plainGradient.Zip(blockedGradient).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"convolutions {convolutions:E3} of {graph:E3} B; |ΔE| {Math.Abs(plain.Energy - blocked.Energy):E2}, "
            + $"|ΔF| {MaxDifference(plain.Forces, blocked.Forces):E2}, largest |Δ∂L/∂θ| {largest:E2} of {plainGradient.Max(Math.Abs):E2}");
        Assert.Equal(plain.Energy, blocked.Energy, Tolerance);
        Assert.InRange(MaxDifference(plain.Forces, blocked.Forces), 0, Tolerance);
        Assert.InRange(MaxDifference(plain.Stress, blocked.Stress), 0, Tolerance);
        Assert.InRange(largest, 0, Tolerance * Math.Max(1, plainGradient.Max(Math.Abs) / 1e3));
    }

    /// An evaluation without a graph (energy only) whose largest layer (<see cref="BackboneMemory.LayerBytes"/>) exceeds the budget runs in
    /// the same chunks: the bits of the chunks set by hand, the unchunked energy to 1e-12.
    [Fact]
    public void An_evaluation_without_a_graph_is_chunked_by_its_largest_layer()
    {
        using var model = MaceTestSystems.Model(3);
        var inputs = Periodic();
        long nodes = inputs.NumAtoms, edges = inputs.Graph.EdgeIndex.shape[1];
        double layer = BackboneMemory.LayerBytes(model, nodes, edges);
        Assert.InRange(layer, 0.3 * BackboneMemory.GraphBytes(model, nodes, edges), 0.7 * BackboneMemory.GraphBytes(model, nodes, edges));
        var request = PredictionRequest.EnergyOnly();
        double plain = EnergyOnly(model, inputs, request);
        model.EdgeChunkSize = 7;
        double byHand = EnergyOnly(model, inputs, request);
        model.EdgeChunkSize = null;
        model.AutomaticEdgeChunk = 7;
        model.AutomaticChunkBytes = 1.5 * layer;
        Assert.Equal(default, BackboneMemory.AutomaticChunks(model, nodes, edges, keepsGraph: false));
        Assert.Equal(model.NodeChunk(7), BackboneMemory.AutomaticChunks(model, nodes, edges, keepsGraph: true).Nodes);
        model.AutomaticChunkBytes = BackboneMemory.ConvolutionBytes(model, nodes, edges, keepsGraph: false) / 2;
        Assert.Equal(new BackboneChunks(7, model.NodeChunk(7)), BackboneMemory.AutomaticChunks(model, nodes, edges, keepsGraph: false));
        double automatic = EnergyOnly(model, inputs, request);
        output.WriteLine($"layer estimate {layer:E3} B; energy unchunked {plain:R}, chunks by hand {byHand:R}, automatic {automatic:R}");
        Assert.Equal(byHand, automatic);
        Assert.Equal(plain, automatic, Tolerance);
    }

    /// The estimate counts numbers of the backbone's compute dtype: a float32 backbone keeps half the bytes of the same float64 one.
    [Fact]
    public void The_graph_estimate_of_a_float32_backbone_is_half_that_of_float64()
    {
        using var model = MaceTestSystems.Model(3);
        double float64 = BackboneMemory.GraphBytes(model, 1000, 40_000);
        model.UseComputeDtype(ScalarType.Float32);
        Assert.Equal(float64 / 2, BackboneMemory.GraphBytes(model, 1000, 40_000), 1e-9 * float64);
        model.AutomaticChunkBytes = 0.75 * float64;
        Assert.Equal(default, BackboneMemory.AutomaticChunks(model, 1000, 40_000));
        model.UseComputeDtype(ScalarType.Float64);
        Assert.NotEqual(default, BackboneMemory.AutomaticChunks(model, 1000, 40_000));
    }

    [Fact]
    public void A_chunk_size_below_one_is_refused()
    {
        using var model = MaceTestSystems.Model(3);
        Assert.Throws<ArgumentOutOfRangeException>(() => model.EdgeChunkSize = 0);
    }

    static SystemInputs Periodic()
    {
        var (positions, species) = MaceTestSystems.Molecule(6, 11);
        return new SystemInputs(MaceTestSystems.Inputs(positions, species, MaceTestSystems.TriclinicCell()), ones(1, 3, dtype: ScalarType.Bool));
    }

    static (double Energy, double[] Nodes, double[] Forces, double[] Stress) Predict(MaceModel model, SystemInputs inputs, PredictionRequest request)
    {
        using var scope = NewDisposeScope();
        var p = model.Predict(inputs, request);
        return (p.Energy.item<double>(), p.NodeEnergies!.data<double>().ToArray(), p.Forces!.data<double>().ToArray(),
            p.Stress!.contiguous().data<double>().ToArray());
    }

    static double EnergyOnly(MaceModel model, SystemInputs inputs, PredictionRequest request)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var p = model.Predict(inputs, request);
        Assert.Null(p.Forces);
        return p.Energy.item<double>();
    }

    static double[] LossGradient(MaceModel model, SystemInputs inputs)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        var p = model.Predict(inputs, new PredictionRequest { CreateGraph = true, Training = true });
        (p.Energy.Squared().sum().Plus(p.Forces!.Squared().sum())).backward();
        return model.parameters().SelectMany(w => w.grad!.contiguous().data<double>().ToArray()).ToArray();
    }

    static double MaxDifference(double[] a, double[] b) => a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
}
