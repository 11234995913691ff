namespace MaceScf.Data;

/// What the leading dimension of a batch tensor runs over.
internal enum BatchLevel
{
    Node,
    Edge,
    Graph,
}
