namespace MaceScf.Electrostatics;

/// A structure whose geometry the electrostatics cannot handle (e.g. coincident atoms in `realspace`). The plan sets
/// <see cref="Structure"/>, the structure's index in the batch, so the caller can name the frame it came from.
internal sealed class StructureGeometryException(string problem, int? structure = null)
    : ArgumentException(structure is null ? problem : $"structure {structure} of the batch: {problem}")
{
    public int? Structure { get; } = structure;

    public string Problem { get; } = problem;

    public StructureGeometryException InStructure(int structure) => new(Problem, structure);
}
