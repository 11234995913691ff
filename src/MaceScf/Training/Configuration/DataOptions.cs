using MaceScf.Data;

namespace MaceScf.Training;

/// Datasets, key mapping, splits, batching and data checks, named as the options (paths absolute).
internal sealed record DataOptions
{
    public required string TrainFile { get; init; }
    /// Null: split ValidFraction off the training set.
    public required string? ValidFile { get; init; }
    public required double ValidFraction { get; init; }
    /// The split seed (valid_set_seed, or seed when that is None).
    public required int ValidSetSeed { get; init; }
    public required string? TestFile { get; init; }
    public required KeyMapping Heads { get; init; }
    public required PerElementSetting E0s { get; init; }
    public required IReadOnlyDictionary<string, double> ConfigTypeWeights { get; init; }
    public required int BatchSize { get; init; }
    public required int ValidBatchSize { get; init; }
    public required bool ShardData { get; init; }
    public required bool AllowLowDensityPbc { get; init; }
    public required double LowDensityPbcMaxVolumePerAtom { get; init; }
    public required bool OverridePbcChecks { get; init; }

    public static DataOptions From(TrainingConfig c) => new()
    {
        TrainFile = c.Get(TrainingOptions.TrainFile)!,
        ValidFile = c.Get(TrainingOptions.ValidFile),
        ValidFraction = c.Get(TrainingOptions.ValidFraction),
        ValidSetSeed = c.Get(TrainingOptions.ValidSetSeed) ?? c.Get(TrainingOptions.Seed),
        TestFile = c.Get(TrainingOptions.TestFile),
        Heads = c.Heads,
        E0s = c.Get(TrainingOptions.E0s),
        ConfigTypeWeights = c.Get(TrainingOptions.ConfigTypeWeights),
        BatchSize = c.Get(TrainingOptions.BatchSize),
        ValidBatchSize = c.Get(TrainingOptions.ValidBatchSize),
        ShardData = c.Get(TrainingOptions.ShardData),
        AllowLowDensityPbc = c.Get(TrainingOptions.AllowLowDensityPbc),
        LowDensityPbcMaxVolumePerAtom = c.Get(TrainingOptions.LowDensityPbcMaxVolumePerAtom),
        OverridePbcChecks = c.Get(TrainingOptions.OverridePbcChecks),
    };
}
