using MaceScf.Data;
using MaceScf.Equivariant;
using MaceScf.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Mace;

/// <summary>
/// The MACE backbone (docs/math.md, "The MACE backbone"): one-hot embedding, edge harmonics and Bessel×cutoff features, then per
/// layer t an interaction block, a product block and a readout. Energy = Σ_i E0(z_i) + Σ_i [scale · Σ_t readout_t(h_i^t) + shift]
/// (scale 1 and shift 0 unless the model is a ScaleShiftMACE).
/// </summary>
public sealed class MaceModel : nn.Module<MaceInputs, MaceOutput>, IAtomisticModel
{
    private readonly EquivariantLinear _nodeEmbedding;
    private readonly AtomicEnergies _atomicEnergies;
    private readonly ModuleList<InteractionBlock> _interactions;
    private readonly ModuleList<ProductBasisBlock> _products;
    private readonly ModuleList<Readout> _readouts;

    /// <summary>A model with freshly initialised parameters.</summary>
    /// <param name="hyperparameters">the architecture</param>
    /// <param name="dtype">floating-point type of the parameters and outputs</param>
    public MaceModel(MaceHyperparameters hyperparameters, ScalarType dtype = ScalarType.Float64) : base(nameof(MaceModel))
    {
        hyperparameters.Validate();
        Hyperparameters = hyperparameters;
        Dtype = dtype;
        ComputeDtype = dtype;
        var hidden = hyperparameters.ResolveHiddenIrreps();
        int channels = hidden[0].Mul, z = hyperparameters.NumElements, layers = hyperparameters.NumInteractions;
        var scalars = new Irreps([new MulIrrep(channels, new Irrep(0, 1))]);
        var elements = new Irreps([new MulIrrep(z, new Irrep(0, 1))]);
        var edgeAttrs = hyperparameters.EdgeAttrsIrreps();
        // Interaction irreps: C × (0e+1o+…+max_ell), sorted and simplified.
        var target = edgeAttrs.WithMultiplicity(channels).Sort().Sorted.Simplify();
        Radial = new RadialEmbedding(hyperparameters.RMax, hyperparameters.NumBessel, hyperparameters.NumPolynomialCutoff);

        _nodeEmbedding = new EquivariantLinear(elements, scalars, dtype);
        _atomicEnergies = new AtomicEnergies(hyperparameters.AtomicEnergies(), dtype);
        _interactions = new ModuleList<InteractionBlock>();
        _products = new ModuleList<ProductBasisBlock>();
        _readouts = new ModuleList<Readout>();
        var layerIrreps = new List<Irreps>();
        var nodeIrreps = scalars;
        for (int t = 0; t < layers; t++)
        {
            bool last = t == layers - 1 && layers > 1;
            // MACE keeps only the scalars in the last layer (unless asked otherwise).
            var outIrreps = last && !hyperparameters.KeepLastLayerIrreps ? scalars : hidden;
            string kind = t == 0 ? hyperparameters.InteractionFirst : hyperparameters.Interaction;
            bool residual = kind == InteractionKinds.Residual;
            _interactions.Add(residual
                ? new RealAgnosticResidualInteractionBlock(nodeIrreps, edgeAttrs, target, outIrreps, z, Radial.OutDim,
                    hyperparameters.RadialMlp, hyperparameters.AvgNumNeighbors, dtype)
                : new RealAgnosticInteractionBlock(nodeIrreps, edgeAttrs, target, z, Radial.OutDim, hyperparameters.RadialMlp,
                    hyperparameters.AvgNumNeighbors, dtype));
            _products.Add(new ProductBasisBlock(target, outIrreps, hyperparameters.Correlation, z, residual, dtype));
            _readouts.Add(last
                ? new NonLinearReadout(outIrreps, hyperparameters.MlpIrreps, hyperparameters.GateActivation(), dtype)
                : new LinearReadout(outIrreps, dtype));
            layerIrreps.Add(outIrreps);
            nodeIrreps = outIrreps;
        }
        LayerIrreps = layerIrreps;
        register_module("node_embedding", _nodeEmbedding);
        register_module("atomic_energies_fn", _atomicEnergies);
        register_module("interactions", _interactions);
        register_module("products", _products);
        register_module("readouts", _readouts);
    }

    /// <summary>The architecture the model was built with.</summary>
    public MaceHyperparameters Hyperparameters { get; }

    /// <summary>Floating-point type of the inputs, outputs, atomic energies E0 and the sums over atoms.</summary>
    public ScalarType Dtype { get; }

    /// <summary>
    /// Floating-point type of the layers (embedding, interactions, products, readouts): <see cref="Dtype"/> unless
    /// <see cref="UseComputeDtype"/> changed it.
    /// </summary>
    public ScalarType ComputeDtype { get; private set; }

    /// <summary>
    /// Runs the layers in <paramref name="dtype"/> (float32 inference, docs/benchmarks.md "Backbone speed and memory"): their
    /// parameters are converted; the edge vectors are formed in <see cref="Dtype"/> and then converted, and the node features,
    /// edge attributes and per-atom energies are converted back before the sums over atoms, so every output (and the
    /// electrostatics of a model built on this backbone) stays in <see cref="Dtype"/>.
    /// </summary>
    /// <param name="dtype">float32 or float64</param>
    /// <returns>this model</returns>
    public MaceModel UseComputeDtype(ScalarType dtype)
    {
        if (dtype is not (ScalarType.Float32 or ScalarType.Float64))
            throw new ArgumentException($"compute dtype must be float32 or float64, not {dtype}", nameof(dtype));
        // Frozen parameters stay frozen (an inference model is converted after Freeze).
        var trainable = parameters().Select(p => p.requires_grad).ToArray();
        foreach (var layers in new nn.Module[] { _nodeEmbedding, _interactions, _products, _readouts }) layers.to(dtype);
        foreach (var (p, grad) in parameters().Zip(trainable)) p.requires_grad_(grad);
        ComputeDtype = dtype;
        return this;
    }

    /// <summary>
    /// Most edges per block of the interactions' convolution, or null (default) for all edges at once. With a chunk size the
    /// graph keeps O(N + E) numbers per interaction instead of the per-edge weights and messages (O(E × paths × channels)),
    /// and every product basis's symmetric contraction runs in blocks of about as many nodes as receive that many edges
    /// (chunk / avg_num_neighbors, at least 1), keeping O(N) numbers instead of every node's monomials; the backward passes
    /// recompute each block: bounded memory for very large graphs, at the cost of one more convolution and contraction per
    /// backward pass; results equal the unchunked ones up to the order of the additions.
    /// </summary>
    public int? EdgeChunkSize
    {
        get => _edgeChunkSize;
        set
        {
            if (value is < 1) throw new ArgumentOutOfRangeException(nameof(value), "the edge chunk size must be at least 1");
            _edgeChunkSize = value;
        }
    }

    private int? _edgeChunkSize;

    /// Whether edge chunks also run the symmetric contractions in node blocks (default); false keeps them whole (benchmarks).
    internal bool BlockedContractions { get; set; } = true;

    /// Nodes per block of the symmetric contractions for an edge chunk: about as many nodes as receive that many edges
    /// (chunk / avg_num_neighbors, at least 1), or null (whole) without a chunk.
    internal int? NodeChunk(int? edgeChunk) => edgeChunk is int edges && BlockedContractions
        ? Math.Max(1, (int)Math.Round(edges / Math.Max(1.0, Hyperparameters.AvgNumNeighbors))) : null;

    /// Whether automatic chunks may block the symmetric contractions alone while the convolutions' own part fits the budget (default;
    /// <see cref="BackboneMemory.AutomaticChunks"/>), or always block both. The backbones of the fixed-point and local-source models
    /// block both: the fixed-point model's force graph keeps about twice the convolutions' estimate, the local-source model's was not
    /// measured (docs/benchmarks.md, "Automatic chunks: the contractions first").
    internal bool ContractionsFirst { get; set; } = true;

    /// Whether the edge geometry and the radial MLPs run once per undirected pair of edges (<see cref="EdgePairs"/>; default)
    /// or once per edge (the same results up to rounding; for tests and benchmarks).
    internal bool PairedEdges { get; set; } = true;

    /// Estimated bytes of the backbone's autograd graph above which an evaluation kept for gradients runs in edge chunks when
    /// <see cref="EdgeChunkSize"/> is not set (<see cref="BackboneMemory"/>; default the machine's budget,
    /// <see cref="BackboneMemory.MachineBudget"/>; infinity: never).
    internal double AutomaticChunkBytes { get; set; } = BackboneMemory.MachineBudget.Bytes;

    /// Edges per block of the automatic chunks.
    internal int AutomaticEdgeChunk { get; set; } = BackboneMemory.DefaultAutomaticEdgeChunk;

    internal RadialEmbedding Radial { get; }

    /// Irreps of the node features h^t of every layer.
    internal IReadOnlyList<Irreps> LayerIrreps { get; }

    internal IReadOnlyList<InteractionBlock> Interactions => [.. _interactions];

    internal IReadOnlyList<ProductBasisBlock> Products => [.. _products];

    internal IReadOnlyList<Readout> Readouts => [.. _readouts];

    internal AtomicEnergies AtomicEnergies => _atomicEnergies;

    /// <summary>Number of trainable scalars.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// <summary>Node features and energies of a batch of graphs.</summary>
    public override MaceOutput forward(MaceInputs inputs)
    {
        using var scope = NewDisposeScope();
        var positions = inputs.Positions.to_type(Dtype);
        var nodeAttrs = nn.functional.one_hot(inputs.Species, Hyperparameters.NumElements).to_type(positions.dtype);
        var sender = inputs.EdgeIndex[0];
        var receiver = inputs.EdgeIndex[1];

        // shifts = S · cell[graph of the sender], differentiable w.r.t. the cell (strain).
        var edgeCell = inputs.Cell.to_type(positions.dtype).index_select(0, inputs.Batch.index_select(0, sender));
        var shifts = inputs.UnitShifts.to_type(positions.dtype).unsqueeze(1).bmm(edgeCell).squeeze(1);
        var vectors = (positions.index_select(0, receiver) - positions.index_select(0, sender)).Plus(shifts);
        // The geometry and the radial MLPs run once per undirected pair (EdgePairs), then go to both edges by a gather.
        using var pairs = PairedEdges ? EdgePairs.Of(sender, receiver, inputs.UnitShifts, positions.shape[0], positions.dtype) : null;
        var pairVectors = pairs?.PairVectors(vectors) ?? vectors;
        var lengths = pairVectors.norm(-1, keepdim: true);
        var harmonics = SphericalHarmonics.Compute(Hyperparameters.MaxEll, pairVectors.to_type(ComputeDtype), Hyperparameters.EdgeVectorOrder);
        var edgeAttrs = pairs?.ExpandHarmonics(harmonics, Hyperparameters.MaxEll) ?? harmonics;
        var pairFeats = Radial.Compute(lengths.to_type(ComputeDtype));
        var computeAttrs = nodeAttrs.to_type(ComputeDtype);

        var nodeE0 = _atomicEnergies.NodeEnergies(nodeAttrs);
        var h = _nodeEmbedding.forward(computeAttrs);
        var features = new List<Tensor>();
        var energies = new List<Tensor>();
        // A large evaluation, with or without a graph for gradients, runs in edge chunks unless the caller chose (BackboneMemory);
        // the chunk goes to each call.
        bool keepsGraph = KeepsGraph(positions, inputs.Cell), training = keepsGraph && parameters().Any(p => p.requires_grad);
        var (edgeChunk, nodeChunk) = EdgeChunkSize is int chunk
            ? new BackboneChunks(chunk, NodeChunk(chunk))
            : BackboneMemory.AutomaticChunks(this, positions.shape[0], sender.shape[0], keepsGraph, training);
        RecordLargest(positions.shape[0], sender.shape[0], keepsGraph, training);
        for (int t = 0; t < _interactions.Count; t++)
        {
            var interaction = _interactions[t].forward(h, computeAttrs, edgeAttrs, pairFeats, sender, receiver, pairs?.PairOf, edgeChunk);
            h = _products[t].forward(interaction.AtomicBasis, computeAttrs, interaction.SelfConnection, nodeChunk);
            features.Add(h.to_type(Dtype));
            energies.Add(_readouts[t].forward(h).to_type(Dtype));
        }
        edgeAttrs = edgeAttrs.to_type(Dtype);
        var edgeFeats = (pairs?.Expand(pairFeats) ?? pairFeats).to_type(Dtype);
        var nodeInteraction = energies.Count == 1 ? energies[0] : torch.stack(energies, 0).sum(dim: 0);
        if (Hyperparameters.AtomicInterScale != 1 || Hyperparameters.AtomicInterShift != 0)
            nodeInteraction = nodeInteraction.Times(Hyperparameters.AtomicInterScale).Plus(Hyperparameters.AtomicInterShift);
        var interactionEnergy = GraphSum.Of(nodeInteraction, inputs.Batch, inputs.NumGraphs);
        var energy = GraphSum.Of(nodeE0, inputs.Batch, inputs.NumGraphs).Plus(interactionEnergy);
        var output = new MaceOutput(features, energies, nodeE0, nodeE0.Plus(nodeInteraction), interactionEnergy, energy, edgeAttrs,
            edgeFeats, vectors)
        {
            PairFeatures = pairs is null ? null : pairFeats.to_type(Dtype).MoveToOuterDisposeScope(),
            EdgePair = pairs?.PairOf.clone().MoveToOuterDisposeScope(),
        };
        foreach (var t in features.Concat(energies)) t.MoveToOuterDisposeScope();
        foreach (var t in new[] { nodeE0, output.NodeEnergy, interactionEnergy, energy, edgeAttrs, edgeFeats, vectors })
            t.MoveToOuterDisposeScope();
        return output;
    }

    private double _largestEstimate;

    /// The memory estimate and chunk decision of the largest evaluation since the model was built (the latest of equal ones;
    /// <see cref="BackboneMemory.Describe"/>, with its atom count), for the log of eval and ipi; null before the first.
    internal string? LargestEvaluation { get; private set; }

    private void RecordLargest(long nodes, long edges, bool keepsGraph, bool training)
    {
        double estimate = BackboneMemory.Estimate(this, nodes, edges, keepsGraph, training);
        if (LargestEvaluation is not null && estimate < _largestEstimate) return;
        _largestEstimate = estimate;
        LargestEvaluation = $"{nodes} atoms, {edges} edges: {BackboneMemory.Describe(this, nodes, edges, keepsGraph, training)}";
    }

    /// Whether this evaluation records an autograd graph (forces, stress or trainable parameters).
    bool KeepsGraph(Tensor positions, Tensor cell) =>
        is_grad_enabled() && (positions.requires_grad || cell.requires_grad || parameters().Any(p => p.requires_grad));

    double IAtomisticModel.Cutoff => Hyperparameters.RMax;

    IReadOnlyList<int> IAtomisticModel.AtomicNumbers => Hyperparameters.AtomicNumbers;

    Prediction IAtomisticModel.Predict(SystemInputs inputs, PredictionRequest request) => Predict(inputs, request);

    /// Energy (terms e0 = Σ E0(z_i) and local = the layer energies) and the requested forces and stress
    /// (<see cref="StrainDerivatives"/>); the SCF settings of the request do not apply.
    internal Prediction Predict(SystemInputs inputs, PredictionRequest request)
    {
        using var scope = NewDisposeScope();
        var strain = new StrainDerivatives(inputs.Graph, Dtype, request.Forces, request.Stress);
        var output = forward(inputs.Graph.WithGeometry(strain.Positions, strain.Cell));
        var (forces, virials, stress) = strain.Differentiate(output.Energy, request.Training, request.CreateGraph);
        var prediction = new Prediction(output.Energy,
            [("e0", GraphSum.Of(output.NodeE0, inputs.Graph.Batch, inputs.NumGraphs)), ("local", output.InteractionEnergy)])
        {
            Forces = forces, Virials = virials, Stress = stress, NodeEnergies = output.NodeEnergy,
        };
        foreach (var t in prediction.Tensors()) t.MoveToOuterDisposeScope();
        return prediction;
    }
}
