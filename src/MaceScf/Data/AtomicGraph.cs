namespace MaceScf.Data;

/// One configuration with its neighbour list, built once (at dataset construction) and batched many times.
internal sealed class AtomicGraph
{
    public AtomicGraph(Configuration configuration, NeighbourList edges)
    {
        if (edges.AtomCount != configuration.AtomCount)
            throw new ArgumentException($"the neighbour list is for {edges.AtomCount} atoms but the configuration has {configuration.AtomCount}", nameof(edges));
        Configuration = configuration;
        Edges = edges;
    }

    public static AtomicGraph Build(Configuration configuration, double cutoff) =>
        new(configuration, NeighbourList.Build(configuration, cutoff));

    public Configuration Configuration { get; }

    public NeighbourList Edges { get; }
}
