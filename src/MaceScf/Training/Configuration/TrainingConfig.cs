using MaceScf.Electrostatics;
using MaceScf.Data;

namespace MaceScf.Training;

/// <summary>
/// The resolved, validated training configuration: defaults ← config file ← command line, with
/// the origin of every value. Immutable; build it with <see cref="TrainingConfigLoader"/>.
/// </summary>
public sealed class TrainingConfig
{
    readonly Dictionary<Option, OptionValue> _values;

    internal TrainingConfig(IEnumerable<OptionValue> values, string? configFile)
    {
        _values = values.ToDictionary(v => v.Option);
        ConfigFile = configFile;
    }

    /// <summary>The config file given with `--config` (absolute), if any.</summary>
    public string? ConfigFile { get; }

    /// Every option's value, in registry order.
    internal IReadOnlyList<OptionValue> Values => TrainingOptions.All.Select(o => _values[o]).ToArray();

    internal T Get<T>(Option<T> option) => (T)_values[option].Value!;

    internal OptionValue ValueOf(Option option) => _values[option];

    internal ValueSource SourceOf(Option option) => _values[option].Origin.Source;

    internal TrainSchedule Schedule => Get(TrainingOptions.TrainSchedule)!;

    /// <summary>The `heads` key mapping of the data files.</summary>
    public KeyMapping Heads => Get(TrainingOptions.Heads)!;

    /// <summary>The `model` class.</summary>
    internal Models.ModelClass Class => Models.ModelClasses.Parse(Get(TrainingOptions.Model));

    /// <summary>The electrostatics options of the model (density basis, field features, boundary method).</summary>
    internal ElectrostaticsOptions Electrostatics => new()
    {
        SmearingWidth = Get(TrainingOptions.AtomicMultipolesSmearingWidth),
        DensityMaxL = Get(TrainingOptions.AtomicMultipolesMaxL),
        FieldFeatureWidths = Get(TrainingOptions.FieldFeatureWidths),
        FieldFeatureMaxL = EffectiveFieldFeatureMaxL,
        KspaceCutoffFactor = Get(TrainingOptions.KspaceCutoffFactor),
        KspaceMethod = Get(TrainingOptions.KspaceMethodOption),
        ElectrostaticsAccuracy = Get(TrainingOptions.ElectrostaticsAccuracy),
        Method = Get(TrainingOptions.ElectrostaticPbcMethod),
        IncludeSelfInteraction = Get(TrainingOptions.IncludeElectrostaticSelfInteraction),
        IncludeFieldSelfInteraction = Get(TrainingOptions.IncludeFieldSi),
    };

    internal DataOptions Data => DataOptions.From(this);

    internal OptimizerOptions Optimizer => OptimizerOptions.From(this);

    internal RunOptions Run => RunOptions.From(this);

    /// <summary>The seed option: seed torch's random generator with it before building a model.</summary>
    public int Seed => Get(TrainingOptions.Seed);

    /// <summary>
    /// The field-feature order actually used: field_feature_max_l, or atomic_multipoles_max_l when None.
    /// </summary>
    public int EffectiveFieldFeatureMaxL => Get(TrainingOptions.FieldFeatureMaxL) ?? Get(TrainingOptions.AtomicMultipolesMaxL);

    /// <summary>True when every option has the same value (origins are not compared).</summary>
    public bool HasSameValues(TrainingConfig other) =>
        TrainingOptions.All.All(o => ValueOf(o).Text == other.ValueOf(o).Text);

    /// <summary>One line per option, `name: value  (origin)`, for the run log.</summary>
    public IEnumerable<string> Provenance() =>
        Values.Select(v => $"{v.Option.Name}: {v.Text}  ({v.Origin})");

    /// <summary>
    /// The resolved configuration as config.yaml text (`--print-config`); loading it gives an
    /// equal configuration.
    /// </summary>
    public string Render() => ConfigRenderer.Render(this);
}
