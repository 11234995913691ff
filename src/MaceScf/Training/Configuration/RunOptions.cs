namespace MaceScf.Training;

/// Run identity, folders (None resolved to the work_dir defaults), device, precision, logging,
/// evaluation and checkpoint settings, named as the options.
internal sealed record RunOptions
{
    public required string? Name { get; init; }
    public required int Seed { get; init; }
    public required string WorkDir { get; init; }
    public required string LogDir { get; init; }
    public required string ModelDir { get; init; }
    public required string CheckpointsDir { get; init; }
    public required string ResultsDir { get; init; }
    public required string DownloadsDir { get; init; }
    public required string Device { get; init; }
    public required DefaultDtype DefaultDtype { get; init; }
    public required string LogLevel { get; init; }
    public required int EvalInterval { get; init; }
    public required int Patience { get; init; }
    public required int InferenceEvalInterval { get; init; }
    public required int MaxNumEpochs { get; init; }
    public required bool RestartLatest { get; init; }
    public required bool RestartAcceptChanges { get; init; }
    public required bool KeepCheckpoints { get; init; }
    public required bool SaveAllCheckpoints { get; init; }
    public required bool SaveCpu { get; init; }
    public required bool LogOnTestSets { get; init; }
    public required bool ScfConvergenceSummary { get; init; }
    public required bool DebugLogGradSummary { get; init; }
    public required bool Distributed { get; init; }
    public required bool ComputeStress { get; init; }
    public required string ErrorTable { get; init; }

    /// The run tag `{name}_run-{seed}` used in file names.
    public string Tag => $"{Name}_run-{Seed}";

    public static RunOptions From(TrainingConfig c)
    {
        string work = c.Get(TrainingOptions.WorkDir)!;
        return new RunOptions
        {
            Name = c.Get(TrainingOptions.Name),
            Seed = c.Get(TrainingOptions.Seed),
            WorkDir = work,
            LogDir = c.Get(TrainingOptions.LogDir) ?? Path.Combine(work, "logs"),
            ModelDir = c.Get(TrainingOptions.ModelDir) ?? work,
            CheckpointsDir = c.Get(TrainingOptions.CheckpointsDir) ?? Path.Combine(work, "checkpoints"),
            ResultsDir = c.Get(TrainingOptions.ResultsDir) ?? Path.Combine(work, "results"),
            DownloadsDir = c.Get(TrainingOptions.DownloadsDir) ?? Path.Combine(work, "downloads"),
            Device = c.Get(TrainingOptions.Device),
            DefaultDtype = c.Get(TrainingOptions.Dtype),
            LogLevel = c.Get(TrainingOptions.LogLevel),
            EvalInterval = c.Get(TrainingOptions.EvalInterval),
            Patience = c.Get(TrainingOptions.Patience),
            InferenceEvalInterval = c.Get(TrainingOptions.InferenceEvalInterval),
            MaxNumEpochs = c.Get(TrainingOptions.MaxNumEpochs),
            RestartLatest = c.Get(TrainingOptions.RestartLatest),
            RestartAcceptChanges = c.Get(TrainingOptions.RestartAcceptChanges),
            KeepCheckpoints = c.Get(TrainingOptions.KeepCheckpoints),
            SaveAllCheckpoints = c.Get(TrainingOptions.SaveAllCheckpoints),
            SaveCpu = c.Get(TrainingOptions.SaveCpu),
            LogOnTestSets = c.Get(TrainingOptions.LogOnTestSets),
            ScfConvergenceSummary = c.Get(TrainingOptions.ScfConvergenceSummary),
            DebugLogGradSummary = c.Get(TrainingOptions.DebugLogGradSummary),
            Distributed = c.Get(TrainingOptions.Distributed),
            ComputeStress = c.Get(TrainingOptions.ComputeStress),
            ErrorTable = c.Get(TrainingOptions.ErrorTable),
        };
    }
}
