namespace MaceScf.Data;

/// What the leading dimension of a batch tensor runs over.
public enum BatchLevel
{
    Node,
    Edge,
    Graph,
}
