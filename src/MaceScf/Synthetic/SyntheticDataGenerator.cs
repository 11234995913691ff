using MaceScf.Data;

namespace MaceScf.Synthetic;

/// Generates labelled frames of one system: structures from a System.Random(seed) in sequence,
/// each solved by the teacher. The same seed, count and overrides give the same frames.
internal sealed class SyntheticDataGenerator(ISyntheticSystem system, TeacherParameters parameters, SynthesisOverrides overrides)
{
    readonly TeacherModel _teacher = new(parameters);

    public IEnumerable<(SyntheticStructure Structure, TeacherSolution Solution)> Solve(int count, int seed)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        var random = new Random(seed);
        for (int k = 0; k < count; k++)
        {
            var structure = overrides.Apply(system.Generate(random));
            yield return (structure, _teacher.Solve(structure));
        }
    }

    /// The frames as configurations with the canonical keys (see <see cref="SyntheticFrame"/>).
    public IEnumerable<Configuration> Frames(int count, int seed) =>
        Solve(count, seed).Select((s, k) => SyntheticFrame.Create(system.Name, seed, k, s.Structure, s.Solution, parameters));
}
