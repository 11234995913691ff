namespace MaceScf.Training;

/// One `train_schedule` stage: epochs Start..End inclusive, loss terms, learning rate for every
/// parameter group (with per-group overrides `&lt;group&gt;_lr`), the fixed-point training options and the frozen parameter
/// groups (`freeze`; null: the `freeze` option's).
internal sealed record TrainingStage(
    int Index,
    string Name,
    int Start,
    int End,
    IReadOnlyList<LossTerm> Loss,
    double Lr,
    IReadOnlyList<KeyValuePair<string, double>> GroupLr,
    FixedPointTrainingOptions FixedPointTrainingOptions,
    IReadOnlyList<string>? Freeze = null)
{
    /// The stage lr when a stage gives none.
    public const double DefaultLr = 0.01;

    /// Parameter groups whose lr a stage can set with `&lt;group&gt;_lr`.
    public static IReadOnlyList<string> ParameterGroups { get; } =
    [
        "embedding", "interactions_decay", "interactions_no_decay", "products", "readouts",
        "lr_source_maps", "field_dependent_charges_map", "local_electron_energy", "layer_feature_mixer", "enegs_readouts", "hardness_readouts",
    ];

    public int EpochCount => End - Start + 1;

    /// Whether the stage gave fixed_point_training_options (required for the FixedPoint class, refused by the others; without
    /// them the options are those of mode direct).
    public bool FixedPointOptionsGiven { get; init; } = true;

    /// The learning rate of a parameter group in this stage.
    public double LrOf(string group) => GroupLr.FirstOrDefault(g => g.Key == group) is { Key: not null } g ? g.Value : Lr;
}
