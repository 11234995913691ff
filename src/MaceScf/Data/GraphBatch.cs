using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Data;

/// Many configurations as one disconnected graph (mace's collated AtomicData): nodes concatenated,
/// edge indices offset by each graph's first node, and a graph index per node. The batch owns its
/// tensors, including attached ones, and disposes them with itself.
internal sealed class GraphBatch : IDisposable
{
    private readonly Dictionary<string, Tensor>[] _attached = [new(), new(), new()];

    private GraphBatch(int graphCount, int atomCount, int edgeCount)
    {
        GraphCount = graphCount;
        AtomCount = atomCount;
        EdgeCount = edgeCount;
    }

    public int GraphCount { get; }

    public int AtomCount { get; }

    public int EdgeCount { get; }

    /// Positions as given (not wrapped) [N, 3], in the batch's float dtype.
    public Tensor Positions { get; private init; } = null!;

    /// Atomic numbers Z [N], int64.
    public Tensor AtomicNumbers { get; private init; } = null!;

    /// Index of each node's element in the species table [N], int64.
    public Tensor Species { get; private init; } = null!;

    /// One-hot species [N, species count] (mace's node_attrs).
    public Tensor NodeAttrs { get; private init; } = null!;

    /// [2, E] int64: row 0 sender (neighbour j), row 1 receiver (centre i), as batch node indices.
    public Tensor EdgeIndex { get; private init; } = null!;

    /// Integer lattice translations per edge [E, 3], in the batch's float dtype.
    public Tensor UnitShifts { get; private init; } = null!;

    /// Lattice vectors as rows [G, 3, 3]; zeros for a configuration without a cell.
    public Tensor Cell { get; private init; } = null!;

    /// [G, 3] bool.
    public Tensor Pbc { get; private init; } = null!;

    /// Graph index of each node [N], int64.
    public Tensor Batch { get; private init; } = null!;

    /// Graph index of each edge [E], int64.
    public Tensor EdgeGraph { get; private init; } = null!;

    /// Cumulative node counts [G + 1], int64: graph g has nodes Ptr[g] .. Ptr[g+1].
    public Tensor Ptr { get; private init; } = null!;

    /// Nodes per graph [G], int64.
    public Tensor NumAtoms { get; private init; } = null!;

    /// Extra per-node tensors (targets, weights, reference multipoles), leading dimension N.
    public IReadOnlyDictionary<string, Tensor> NodeData => _attached[(int)BatchLevel.Node];

    /// Extra per-edge tensors, leading dimension E.
    public IReadOnlyDictionary<string, Tensor> EdgeData => _attached[(int)BatchLevel.Edge];

    /// Extra per-graph tensors, leading dimension G.
    public IReadOnlyDictionary<string, Tensor> GraphData => _attached[(int)BatchLevel.Graph];

    /// Builds each configuration's neighbour list and batches them.
    public static GraphBatch Build(IReadOnlyList<Configuration> configurations, double cutoff, SpeciesTable species,
        ScalarType dtype = ScalarType.Float64) =>
        Collate(configurations.Select(c => AtomicGraph.Build(c, cutoff)).ToArray(), species, dtype);

    /// Batches graphs whose neighbour lists are already built, in the given order; float tensors get
    /// dtype, index tensors int64.
    public static GraphBatch Collate(IReadOnlyList<AtomicGraph> graphs, SpeciesTable species, ScalarType dtype = ScalarType.Float64)
    {
        if (graphs.Count == 0) throw new ArgumentException("cannot batch zero graphs", nameof(graphs));
        if (dtype is not (ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16))
            throw new ArgumentException($"the batch dtype must be a floating-point type, got {dtype}", nameof(dtype));

        int g = graphs.Count;
        int n = graphs.Sum(x => x.Configuration.AtomCount);
        int e = graphs.Sum(x => x.Edges.EdgeCount);
        var positions = new double[3 * n];
        var atomicNumbers = new long[n];
        var speciesIndex = new long[n];
        var batch = new long[n];
        var edgeIndex = new long[2 * e];
        var edgeGraph = new long[e];
        var unitShifts = new double[3 * e];
        var cell = new double[9 * g];
        var pbc = new bool[3 * g];
        var ptr = new long[g + 1];
        var numAtoms = new long[g];

        int node = 0, edge = 0;
        for (int graph = 0; graph < g; graph++)
        {
            var configuration = graphs[graph].Configuration;
            var edges = graphs[graph].Edges;
            int first = node;
            for (int i = 0; i < configuration.AtomCount; i++, node++)
            {
                for (int d = 0; d < 3; d++) positions[3 * node + d] = configuration.Positions[i, d];
                atomicNumbers[node] = configuration.AtomicNumbers[i];
                speciesIndex[node] = species.IndexOf(configuration.AtomicNumbers[i]);
                batch[node] = graph;
            }
            for (int j = 0; j < edges.EdgeCount; j++, edge++)
            {
                edgeIndex[edge] = first + edges.Senders[j];
                edgeIndex[e + edge] = first + edges.Receivers[j];
                edgeGraph[edge] = graph;
                for (int d = 0; d < 3; d++) unitShifts[3 * edge + d] = edges.UnitShifts[j, d];
            }
            if (configuration.Cell is { } lattice)
                for (int k = 0; k < 3; k++)
                    for (int d = 0; d < 3; d++) cell[9 * graph + 3 * k + d] = lattice[k, d];
            for (int k = 0; k < 3; k++) pbc[3 * graph + k] = configuration.Pbc[k];
            numAtoms[graph] = configuration.AtomCount;
            ptr[graph + 1] = node;
        }

        using var scope = NewDisposeScope();
        var speciesTensor = tensor(speciesIndex, [n]);
        var result = new GraphBatch(g, n, e)
        {
            Positions = tensor(positions, [n, 3]).to_type(dtype),
            AtomicNumbers = tensor(atomicNumbers, [n]),
            Species = speciesTensor,
            NodeAttrs = species.OneHot(speciesTensor, dtype),
            EdgeIndex = tensor(edgeIndex, [2, e]),
            UnitShifts = tensor(unitShifts, [e, 3]).to_type(dtype),
            Cell = tensor(cell, [g, 3, 3]).to_type(dtype),
            Pbc = tensor(pbc, [g, 3]),
            Batch = tensor(batch, [n]),
            EdgeGraph = tensor(edgeGraph, [e]),
            Ptr = tensor(ptr, [g + 1]),
            NumAtoms = tensor(numAtoms, [g]),
        };
        foreach (var t in result.OwnTensors()) t.MoveToOuterDisposeScope();
        return result;
    }

    /// Cartesian edge shifts S·cell [E, 3] from the given cell [G, 3, 3] (default: the batch's), so
    /// gradients flow to a strained or otherwise differentiable cell.
    public Tensor Shifts(Tensor? cell = null)
    {
        using var scope = NewDisposeScope();
        var edgeCell = (cell ?? Cell).index_select(0, EdgeGraph);
        return UnitShifts.unsqueeze(1).bmm(edgeCell).squeeze(1).MoveToOuterDisposeScope();
    }

    /// Edge vectors pos[receiver] − pos[sender] + S·cell [E, 3], pointing from the neighbour to the centre.
    public Tensor EdgeVectors(Tensor? positions = null, Tensor? cell = null)
    {
        using var scope = NewDisposeScope();
        var p = positions ?? Positions;
        var vectors = (p.index_select(0, EdgeIndex[1]) - p.index_select(0, EdgeIndex[0])).Plus(Shifts(cell));
        return vectors.MoveToOuterDisposeScope();
    }

    /// A copy of the batch, attached tensors included, on the given device; this batch is unchanged.
    public GraphBatch To(Device device)
    {
        var moved = new GraphBatch(GraphCount, AtomCount, EdgeCount)
        {
            Positions = Positions.to(device, copy: true),
            AtomicNumbers = AtomicNumbers.to(device, copy: true),
            Species = Species.to(device, copy: true),
            NodeAttrs = NodeAttrs.to(device, copy: true),
            EdgeIndex = EdgeIndex.to(device, copy: true),
            UnitShifts = UnitShifts.to(device, copy: true),
            Cell = Cell.to(device, copy: true),
            Pbc = Pbc.to(device, copy: true),
            Batch = Batch.to(device, copy: true),
            EdgeGraph = EdgeGraph.to(device, copy: true),
            Ptr = Ptr.to(device, copy: true),
            NumAtoms = NumAtoms.to(device, copy: true),
        };
        for (int level = 0; level < _attached.Length; level++)
            foreach (var (name, value) in _attached[level])
                moved._attached[level][name] = value.to(device, copy: true);
        return moved;
    }

    /// Adds a named tensor whose leading dimension runs over nodes, edges or graphs; the batch takes ownership.
    public void Attach(BatchLevel level, string name, Tensor value)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a batch tensor needs a name", nameof(name));
        if (_attached.Any(d => d.ContainsKey(name)))
            throw new ArgumentException($"the batch already has a tensor named '{name}'", nameof(name));
        long expected = level switch
        {
            BatchLevel.Node => AtomCount,
            BatchLevel.Edge => EdgeCount,
            _ => GraphCount,
        };
        if (value.dim() == 0 || value.shape[0] != expected)
            throw new ArgumentException(
                $"{level.ToString().ToLowerInvariant()} tensor '{name}' must have leading dimension {expected}, got shape [{string.Join(", ", value.shape)}]",
                nameof(value));
        _attached[(int)level][name] = value;
    }

    public void Dispose()
    {
        foreach (var t in OwnTensors()) t.Dispose();
        foreach (var t in _attached.SelectMany(d => d.Values)) t.Dispose();
        foreach (var d in _attached) d.Clear();
    }

    private IEnumerable<Tensor> OwnTensors() =>
        [Positions, AtomicNumbers, Species, NodeAttrs, EdgeIndex, UnitShifts, Cell, Pbc, Batch, EdgeGraph, Ptr, NumAtoms];
}
