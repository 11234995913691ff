using static TorchSharp.torch;
using MaceScf.FixedPoint;
using TorchSharp.Modules;

namespace MaceScf.Training;

/// `freeze` (docs/mace-import.md, "Fine-tuning"): the parameter groups a stage does not train. A frozen parameter takes no
/// gradient (requires_grad off, no gradient tensor), so the optimiser skips it (no step, no weight decay) and the EMA
/// leaves its average alone: it keeps its value bit for bit.
internal static class FrozenParameters
{
    /// The accepted names: the parameter groups of <see cref="ParameterGroups"/>, `interactions` (both interaction groups) and
    /// `backbone` (every MACE backbone group: embedding, interactions, products, readouts).
    public static IReadOnlyList<string> Names { get; } = ["backbone", "interactions", .. TrainingStage.ParameterGroups];

    /// The parameter groups the names stand for.
    public static IReadOnlySet<string> Groups(IEnumerable<string> names) => names.SelectMany(n => n switch
    {
        "backbone" => ["embedding", "interactions_decay", "interactions_no_decay", "products", "readouts"],
        "interactions" => ["interactions_decay", "interactions_no_decay"],
        _ => new[] { n },
    }).ToHashSet();

    /// Freezes the parameters of the named groups and unfreezes all others; returns the frozen ones.
    public static IReadOnlyList<Parameter> Apply(nn.Module model, IEnumerable<string> names)
    {
        var groups = Groups(names);
        var frozen = new List<Parameter>();
        foreach (var (name, parameter) in model.named_parameters())
        {
            bool freeze = groups.Contains(ParameterGroups.GroupOf(name));
            parameter.requires_grad = !freeze;
            if (!freeze) continue;
            // A gradient left from an earlier stage (zeroed, not removed, by zero_grad) would still move it through Adam's moments.
            parameter.grad = null;
            frozen.Add(parameter);
        }
        return frozen;
    }
}
