using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;
using MaceScf.Tests.FixedPoint;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.Mace;

/// The geometry and radial MLPs evaluated once per undirected pair of edges (<see cref="EdgePairs"/>,
/// <see cref="MaceModel.PairedEdges"/>): the pairing of a neighbour list (self-images included), the expansion to both
/// edges, and energy, node energies, forces, stress and the parameter gradient of a force loss equal to the per-edge
/// evaluation to 1e-12, also for edge lists where some or all edges have no reverse.
public sealed class EdgePairsTests(ITestOutputHelper output)
{
    const double Tolerance = 1e-12;

    [Fact]
    public void A_neighbour_list_pairs_every_edge_with_its_reverse_self_images_included()
    {
        using var scope = NewDisposeScope();
        var inputs = Triclinic();
        var (sender, receiver, shifts) = (inputs.EdgeIndex[0], inputs.EdgeIndex[1], inputs.UnitShifts);
        long edges = sender.shape[0];
        Assert.True((sender == receiver).any().item<bool>(), "the cell is small enough for self-images i → i");
        using var pairs = EdgePairs.Of(sender, receiver, shifts, 6, ScalarType.Float64);
        Assert.NotNull(pairs);
        Assert.Equal(edges / 2, pairs.Count);
        // Every pair holds exactly two edges: one edge and its reverse (receiver ↔ sender, −S).
        Assert.True((bincount(pairs.PairOf, minlength: pairs.Count).EqualTo(2)).all().item<bool>());
        var order = pairs.PairOf.argsort();
        var first = order.view(-1, 2)[.., 0];
        var second = order.view(-1, 2)[.., 1];
        Assert.True(sender.index_select(0, first).equal(receiver.index_select(0, second)).all().item<bool>());
        Assert.True(receiver.index_select(0, first).equal(sender.index_select(0, second)).all().item<bool>());
        Assert.True(shifts.index_select(0, first).equal(-shifts.index_select(0, second)).all().item<bool>());
    }

    [Fact]
    public void Expanded_pair_vectors_and_harmonics_equal_the_edges_own()
    {
        using var scope = NewDisposeScope();
        var inputs = Triclinic();
        var (sender, receiver) = (inputs.EdgeIndex[0], inputs.EdgeIndex[1]);
        var vectors = (inputs.Positions.index_select(0, receiver) - inputs.Positions.index_select(0, sender)).Plus(inputs.UnitShifts.matmul(inputs.Cell[0]));
        using var pairs = EdgePairs.Of(sender, receiver, inputs.UnitShifts, 6, ScalarType.Float64)!;
        var pairVectors = pairs.PairVectors(vectors);
        var reversed = (pairs.Expand(pairVectors) != vectors).any(1);
        // Each edge's vector is its pair's vector or its negative, bit for bit; one edge of every pair is reversed.
        Assert.True(pairs.Expand(pairVectors).equal(where(reversed.unsqueeze(1), -vectors, vectors)).all().item<bool>());
        Assert.Equal(pairs.Count, reversed.sum().item<long>());
        var expanded = pairs.ExpandHarmonics(SphericalHarmonics.Compute(3, pairVectors), 3);
        var own = SphericalHarmonics.Compute(3, vectors);
        Assert.InRange(MaceTestSystems.MaxDiff(expanded, own), 0, 1e-15);
    }

    [Fact]
    public void One_sided_and_non_integer_shift_edge_lists_fall_back_to_single_edges()
    {
        using var scope = NewDisposeScope();
        var inputs = Triclinic();
        var (sender, receiver, shifts) = (inputs.EdgeIndex[0], inputs.EdgeIndex[1], inputs.UnitShifts);
        using var pairs = EdgePairs.Of(sender, receiver, shifts, 6, ScalarType.Float64)!;
        // One edge of every pair: nothing to share, so no pairing.
        var half = pairs.PairOf.argsort().view(-1, 2)[.., 0];
        Assert.Null(EdgePairs.Of(sender.index_select(0, half), receiver.index_select(0, half), shifts.index_select(0, half), 6,
            ScalarType.Float64));
        Assert.Null(EdgePairs.Of(sender.narrow(0, 0, 0), receiver.narrow(0, 0, 0), shifts.narrow(0, 0, 0), 6, ScalarType.Float64));
        // A shift that is not a whole lattice vector is not a neighbour list's: no pairing rather than a rounded key.
        Assert.Null(EdgePairs.Of(sender, receiver, shifts.Plus(0.25), 6, ScalarType.Float64));
    }

    [Theory]
    [InlineData(true, InteractionKinds.Residual, false)]
    [InlineData(true, InteractionKinds.NonResidual, false)]
    [InlineData(false, InteractionKinds.Residual, false)]
    [InlineData(true, InteractionKinds.Residual, true)]
    public void Paired_energy_forces_and_stress_equal_the_per_edge_ones(bool periodic, string first, bool dropSome)
    {
        using var model = MaceTestSystems.Model(5, first);
        var graph = periodic ? Triclinic() : Molecule();
        // dropSome: a user-supplied edge list where every fifth edge has lost its reverse (singles beside pairs).
        if (dropSome) graph = Without(graph, 5);
        using (var pairs = EdgePairs.Of(graph.EdgeIndex[0], graph.EdgeIndex[1], graph.UnitShifts, graph.Positions.shape[0], ScalarType.Float64))
            Assert.NotNull(pairs);
        using var pbc = periodic.ToScalar();
        var inputs = new SystemInputs(graph, full(1, 3, pbc, dtype: ScalarType.Bool));
        var request = new PredictionRequest { Stress = periodic };
        model.PairedEdges = false;
        var perEdge = Predict(model, inputs, request);
        model.PairedEdges = true;
        var paired = Predict(model, inputs, request);
        output.WriteLine($"edges {graph.EdgeIndex.shape[1]}: |ΔE| {Math.Abs(perEdge.Energy - paired.Energy):E2}, "
            + $"|ΔF| {MaxDifference(perEdge.Forces, paired.Forces):E2}, |Δσ| {MaxDifference(perEdge.Stress, paired.Stress):E2}");
        Assert.True(MaxDifference(perEdge.Forces, new double[perEdge.Forces.Length]) > 1e-3, "non-trivial forces");
        Assert.Equal(perEdge.Energy, paired.Energy, Tolerance);
        Assert.InRange(MaxDifference(perEdge.Nodes, paired.Nodes), 0, Tolerance);
        Assert.InRange(MaxDifference(perEdge.Forces, paired.Forces), 0, Tolerance);
        Assert.InRange(MaxDifference(perEdge.Stress, paired.Stress), 0, Tolerance);
    }

    /// Force training through the paired geometry: the gradient of E² + ΣF² + Σσ² with respect to every parameter (a double
    /// backward through the gathers) equals the per-edge one.
    [Fact]
    public void Paired_force_loss_gradients_equal_the_per_edge_ones()
    {
        using var model = MaceTestSystems.Model(6);
        var inputs = new SystemInputs(Triclinic(), ones(1, 3, dtype: ScalarType.Bool));
        model.PairedEdges = false;
        var perEdge = LossGradient(model, inputs);
        model.PairedEdges = true;
        var paired = LossGradient(model, inputs);
        double largest = perEdge.Zip(paired).Max(p => Math.Abs(p.First - p.Second));
        output.WriteLine($"{perEdge.Length} parameters, largest |Δ∂L/∂θ| {largest:E2}, largest |∂L/∂θ| {perEdge.Max(Math.Abs):E2}");
        Assert.True(perEdge.Max(Math.Abs) > 1e-3, "the loss depends on the parameters");
        // Gradients reach ~1e3 here, where 1e-12 is below one rounding step: the bound is 1e-12 or 1e-15 of the largest.
        Assert.InRange(largest, 0, Tolerance * Math.Max(1, perEdge.Max(Math.Abs) / 1e3));
    }

    /// The fixed-point model: its backbone and the many-body update's and readout's radial MLPs (<see cref="UpdateContext.EdgeRows"/>)
    /// once per pair; density, Fermi level, energy, forces and stress after a fixed number of SCF steps equal the per-edge ones.
    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Fixed_point_energy_forces_and_stress_equal_the_per_edge_ones(bool periodic)
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(BlockNames.ManyBodyUpdate,
            readout: BlockNames.ManyBodyChargesReadout, method: periodic ? BoundaryMethod.Pbc : BoundaryMethod.Realspace), 21);
        var inputs = periodic ? FixedPointTestSystems.Periodic() : FixedPointTestSystems.Molecule();
        var options = new ScfOptions { ConstantCharge = true, MixingParameter = 0.5, NumScfSteps = 6, ScfTolerance = 0 };
        model.Backbone.PairedEdges = false;
        var perEdge = model.Evaluate(inputs, options, computeStress: periodic);
        model.Backbone.PairedEdges = true;
        using (var geometry = model.Prepare(inputs)) Assert.NotNull(geometry.Context.EdgeRows);
        var paired = model.Evaluate(inputs, options, computeStress: periodic);
        Assert.True(MaceTestSystems.MaxAbs(perEdge.Forces!) > 1e-3, "non-trivial forces");
        output.Report("max |p_paired − p_per_edge|", MaceTestSystems.MaxDiff(paired.Scf!.Density, perEdge.Scf!.Density), 1e-12);
        output.Report("|μ_paired − μ_per_edge| (V)", MaceTestSystems.MaxDiff(paired.Scf.FermiLevel, perEdge.Scf.FermiLevel), 1e-12);
        output.Report("|E_paired − E_per_edge| (eV)", MaceTestSystems.MaxDiff(paired.Energy, perEdge.Energy), 1e-12);
        output.Report("max |F_paired − F_per_edge| (eV/Å)", MaceTestSystems.MaxDiff(paired.Forces!, perEdge.Forces!), 1e-12);
        if (periodic) output.Report("max |σ_paired − σ_per_edge|", MaceTestSystems.MaxDiff(paired.Stress!, perEdge.Stress!), 1e-12);
    }

    /// TorchSharp frees a Scalar in its finalizer and does not keep it alive while libtorch reads it, so a garbage collection
    /// on another thread during the native call let libtorch read a freed Scalar ("Expected false to be true" from
    /// c10::Scalar::toDouble, seen in this method under load). Pairing computed while another thread collects garbage
    /// without pause must never fail nor differ from the pairing computed without (docs/design.md, "Tensor lifetimes").
    [Fact]
    public void Pairing_is_unaffected_by_garbage_collections_during_its_native_calls()
    {
        using var scope = NewDisposeScope();
        var inputs = Triclinic();
        var (sender, receiver, shifts) = (inputs.EdgeIndex[0], inputs.EdgeIndex[1], inputs.UnitShifts);
        using var reference = EdgePairs.Of(sender, receiver, shifts, 6, ScalarType.Float64)!;
        var referenceVectors = reference.PairVectors(inputs.UnitShifts);
        GarbageCollectionPressure.AssertUnaffected(output, "pairings", 6000, () =>
        {
            using var pairs = EdgePairs.Of(sender, receiver, shifts, 6, ScalarType.Float64)!;
            return pairs.PairOf.equal(reference.PairOf).all().item<bool>()
                && pairs.PairVectors(inputs.UnitShifts).equal(referenceVectors).all().item<bool>();
        });
    }

    static MaceInputs Triclinic()
    {
        var (positions, species) = MaceTestSystems.Molecule(6, 11);
        return MaceTestSystems.Inputs(positions, species, MaceTestSystems.TriclinicCell());
    }

    static MaceInputs Molecule()
    {
        var (positions, species) = MaceTestSystems.Molecule(7, 3);
        return MaceTestSystems.Inputs(positions, species, null);
    }

    /// The graph without every <paramref name="every"/>-th edge.
    static MaceInputs Without(MaceInputs graph, int every)
    {
        using var step = every.ToScalar();
        var keep = HeldScalars.Range(graph.EdgeIndex.shape[1]).remainder(step).NotEqualTo(0);
        var kept = keep.nonzero().squeeze(1);
        return graph with { EdgeIndex = graph.EdgeIndex.index_select(1, kept), UnitShifts = graph.UnitShifts.index_select(0, kept) };
    }

    static (double Energy, double[] Nodes, double[] Forces, double[] Stress) Predict(MaceModel model, SystemInputs inputs, PredictionRequest request)
    {
        using var scope = NewDisposeScope();
        var p = model.Predict(inputs, request);
        return (p.Energy.item<double>(), p.NodeEnergies!.data<double>().ToArray(), p.Forces!.data<double>().ToArray(),
            p.Stress is null ? [] : p.Stress.contiguous().data<double>().ToArray());
    }

    static double[] LossGradient(MaceModel model, SystemInputs inputs)
    {
        using var scope = NewDisposeScope();
        model.zero_grad();
        var p = model.Predict(inputs, new PredictionRequest { CreateGraph = true, Training = true, Stress = true });
        (p.Energy.Squared().sum().Plus(p.Forces!.Squared().sum()).Plus(p.Stress!.Squared().sum())).backward();
        return model.parameters().SelectMany(w => w.grad!.contiguous().data<double>().ToArray()).ToArray();
    }

    static double MaxDifference(double[] a, double[] b) => a.Length == 0 ? 0 : a.Zip(b).Max(p => Math.Abs(p.First - p.Second));
}
