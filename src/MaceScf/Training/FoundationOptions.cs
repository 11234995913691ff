using System.Globalization;
using MaceScf.Equivariant;
using MaceScf.FineTuning;
using MaceScf.Mace;
using static MaceScf.Training.TrainingOptions;

namespace MaceScf.Training;

/// `foundation_model` in a run (docs/mace-import.md, "Fine-tuning"): the backbone architecture is the foundation's, for the
/// elements of the data. An architecture option set in the config file or on the command line to another value than the
/// foundation's is refused, naming where it was set; the options left at their defaults are overridden and listed.
internal static class FoundationOptions
{
    /// The architecture options the foundation decides.
    public static IReadOnlyList<Option> Overridden { get; } =
    [
        RMax, RadialType, NumRadialBasis, NumCutoffBasis, MaxEll, Interaction, InteractionFirst, NumInteractions, HiddenIrreps,
        NumChannels, MaxL, Correlation, TrainingOptions.Gate, MlpIrreps, RadialMlp, AvgNumNeighbors, ComputeAvgNumNeighbors,
    ];

    /// The backbone hyper-parameters of the model to train: the foundation's architecture with the data's elements and the
    /// given E0s; and the log lines that say what was taken from where.
    public static (MaceHyperparameters Backbone, IReadOnlyList<string> Log) Backbone(TrainingConfig config, FoundationModel foundation,
        IReadOnlyList<int> elements, IReadOnlyDictionary<int, double>? e0s)
    {
        var f = foundation.Hyperparameters;
        var missing = elements.Where(z => !f.AtomicNumbers.Contains(z)).ToArray();
        if (missing.Length > 0)
            throw new InvalidDataException($"the data has {FoundationWeights.Elements(missing)}, which foundation_model {foundation.Describe()} "
                + $"has no weights for (it has {FoundationWeights.Elements(f.AtomicNumbers)}); remove the frames with these elements or use a "
                + "foundation model that covers them.");
        var conflicts = Overridden.Where(o => config.SourceOf(o) != ValueSource.Default && Conflicts(config, o, f))
            .Select(o => $"{o.Name} {config.ValueOf(o).Text} (set at {config.ValueOf(o).Origin}; the foundation's: {FoundationValue(o, f)})").ToList();
        if (conflicts.Count > 0)
            throw new ConfigurationException("configuration", null, null, TrainingOptions.FoundationModel.Name,
                $"{foundation.Describe()} fixes the backbone architecture, but {string.Join("; ", conflicts)}: remove these options or give the foundation's values");
        var defaults = Overridden.Where(o => config.SourceOf(o) == ValueSource.Default).Select(o => o.Name).ToList();
        var log = new List<string>
        {
            $"foundation_model: {foundation.Describe()}; backbone from it for {FoundationWeights.Elements(elements)} "
                + $"(of its {FoundationWeights.Elements(f.AtomicNumbers)})",
            "foundation_model: architecture " + string.Join(", ", Overridden.Where(o => o != NumChannels && o != MaxL && o != ComputeAvgNumNeighbors)
                .Select(o => $"{o.Name} {FoundationValue(o, f)}"))
                + (f.AtomicInterScale != 1 || f.AtomicInterShift != 0
                    ? $", scale {f.AtomicInterScale.ToString("G17", CultureInfo.InvariantCulture)}, shift {f.AtomicInterShift.ToString("G17", CultureInfo.InvariantCulture)}" : ""),
        };
        if (defaults.Count > 0) log.Add("foundation_model: these defaults are overridden: " + string.Join(", ", defaults));
        return (f with { AtomicNumbers = elements.ToArray(), E0s = e0s }, log);
    }

    /// The foundation's E0s of the given elements (`E0s: foundation`).
    public static IReadOnlyDictionary<int, double> E0s(FoundationModel foundation, IReadOnlyList<int> elements)
    {
        var f = foundation.Hyperparameters;
        var values = f.AtomicEnergies();
        var all = f.AtomicNumbers.Select((z, i) => (z, values[i])).ToDictionary(t => t.z, t => t.Item2);
        return elements.Where(all.ContainsKey).ToDictionary(z => z, z => all[z]);
    }

    private static bool Conflicts(TrainingConfig c, Option option, MaceHyperparameters f) => option.Name switch
    {
        "r_max" => c.Get(RMax) != f.RMax,
        "radial_type" => c.Get(RadialType) != "bessel",
        "num_radial_basis" => c.Get(NumRadialBasis) != f.NumBessel,
        "num_cutoff_basis" => c.Get(NumCutoffBasis) != f.NumPolynomialCutoff,
        "max_ell" => c.Get(MaxEll) != f.MaxEll,
        "interaction" => c.Get(Interaction) != f.Interaction,
        "interaction_first" => c.Get(InteractionFirst) != f.InteractionFirst,
        "num_interactions" => c.Get(NumInteractions) != f.NumInteractions,
        "hidden_irreps" => c.Get(HiddenIrreps) is { } text && c.Get(NumChannels) is null && !SameIrreps(text, f.ResolveHiddenIrreps()),
        "num_channels" or "max_L" => c.Get(NumChannels) is { } channels && c.Get(MaxL) is { } maxL
            && !new MaceHyperparameters { AtomicNumbers = [1], NumChannels = channels, MaxL = maxL }.ResolveHiddenIrreps().Equals(f.ResolveHiddenIrreps()),
        "correlation" => c.Get(Correlation) != f.Correlation,
        "gate" => c.Get(TrainingOptions.Gate) != f.Gate,
        "MLP_irreps" => c.Get(MlpIrreps) is { } mlp && !SameIrreps(mlp, Irreps.Parse(f.MlpIrreps).Simplify()),
        "radial_MLP" => !c.Get(RadialMlp).SequenceEqual(f.RadialMlp),
        "avg_num_neighbors" => c.Get(AvgNumNeighbors) != f.AvgNumNeighbors,
        "compute_avg_num_neighbors" => c.Get(ComputeAvgNumNeighbors),
        _ => throw new ArgumentOutOfRangeException(nameof(option), option.Name, null),
    };

    private static bool SameIrreps(string text, Irreps irreps) => Irreps.Parse(text).Simplify().Equals(irreps.Simplify());

    private static string FoundationValue(Option option, MaceHyperparameters f) => option.Name switch
    {
        "r_max" => f.RMax.ToString("G17", CultureInfo.InvariantCulture),
        "radial_type" => "bessel",
        "num_radial_basis" => f.NumBessel.ToString(CultureInfo.InvariantCulture),
        "num_cutoff_basis" => f.NumPolynomialCutoff.ToString(CultureInfo.InvariantCulture),
        "max_ell" => f.MaxEll.ToString(CultureInfo.InvariantCulture),
        "interaction" => f.Interaction,
        "interaction_first" => f.InteractionFirst,
        "num_interactions" => f.NumInteractions.ToString(CultureInfo.InvariantCulture),
        "hidden_irreps" or "num_channels" or "max_L" => f.ResolveHiddenIrreps().ToString(),
        "correlation" => f.Correlation.ToString(CultureInfo.InvariantCulture),
        "gate" => f.Gate,
        "MLP_irreps" => f.MlpIrreps,
        "radial_MLP" => "[" + string.Join(", ", f.RadialMlp) + "]",
        "avg_num_neighbors" => f.AvgNumNeighbors.ToString("G17", CultureInfo.InvariantCulture),
        "compute_avg_num_neighbors" => "false: the foundation's avg_num_neighbors is used",
        _ => throw new ArgumentOutOfRangeException(nameof(option), option.Name, null),
    };
}
