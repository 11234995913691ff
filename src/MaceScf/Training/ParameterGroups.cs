using TorchSharp;
using static TorchSharp.torch;
using TorchSharp.Modules;

namespace MaceScf.Training;

/// A named optimiser parameter group with its weight decay (docs/training.md, "Optimiser, lr and EMA").
internal sealed record ParameterGroup(string Name, double WeightDecay, IReadOnlyList<Parameter> Parameters);

/// Splits a model's parameters into the groups of docs/training.md, "Optimiser, lr and EMA", in order: embedding, interactions_decay,
/// interactions_no_decay, products, readouts, lr_source_maps (local_charges_weight_decay), field_dependent_charges_map
/// (field_block_weight_decay), local_electron_energy, layer_feature_mixer, and MACEQEq's enegs_readouts and hardness_readouts
/// (weight_decay), and LocalSplitCharges' polarizability_readouts (no weight decay). Empty groups are left out.
internal static class ParameterGroups
{
    public static IReadOnlyList<ParameterGroup> Of(nn.Module model, OptimizerOptions o)
    {
        var decay = new Dictionary<string, double>
        {
            ["embedding"] = 0, ["interactions_decay"] = o.WeightDecay, ["interactions_no_decay"] = 0, ["products"] = o.WeightDecay,
            ["readouts"] = 0, ["lr_source_maps"] = o.LocalChargesWeightDecay, ["field_dependent_charges_map"] = o.FieldBlockWeightDecay,
            ["local_electron_energy"] = o.WeightDecay, ["layer_feature_mixer"] = o.WeightDecay, ["enegs_readouts"] = o.WeightDecay,
            ["hardness_readouts"] = o.WeightDecay, ["polarizability_readouts"] = 0,
        };
        var members = decay.Keys.ToDictionary(k => k, _ => new List<Parameter>());
        foreach (var (name, parameter) in model.named_parameters())
            members[GroupOf(name)].Add(parameter);
        return decay.Keys.Where(k => members[k].Count > 0).Select(k => new ParameterGroup(k, decay[k], members[k])).ToList();
    }

    /// The group of a parameter name (docs/fixed-point.md "Hooks for training"); a plain MACE model's names are its backbone's
    /// without the "backbone." prefix.
    public static string GroupOf(string name)
    {
        if (!name.StartsWith("backbone.", StringComparison.Ordinal)
            && (name.StartsWith("interactions.", StringComparison.Ordinal) || name.StartsWith("products.", StringComparison.Ordinal)
                || name.StartsWith("node_embedding.", StringComparison.Ordinal)))
            name = "backbone." + name;
        if (name.StartsWith("local_density.", StringComparison.Ordinal)) return "lr_source_maps";
        if (name.StartsWith("update.", StringComparison.Ordinal)) return "field_dependent_charges_map";
        if (name.StartsWith("field_readout.", StringComparison.Ordinal)) return "local_electron_energy";
        if (name.StartsWith("feature_mixer.", StringComparison.Ordinal)) return "layer_feature_mixer";
        if (name.StartsWith("enegs_readouts.", StringComparison.Ordinal)) return "enegs_readouts";
        if (name.StartsWith("hardness_readouts.", StringComparison.Ordinal)) return "hardness_readouts";
        if (name.StartsWith("polarizability_readouts.", StringComparison.Ordinal)) return "polarizability_readouts";
        if (name.StartsWith("backbone.interactions.", StringComparison.Ordinal))
            return name.Contains("linear.weight", StringComparison.Ordinal) || name.Contains("skip_tp_full.weight", StringComparison.Ordinal)
                ? "interactions_decay" : "interactions_no_decay";
        if (name.StartsWith("backbone.products.", StringComparison.Ordinal)) return "products";
        if (name.StartsWith("backbone.node_embedding.", StringComparison.Ordinal)) return "embedding";
        return "readouts";
    }
}
