namespace MaceScf.Training;

/// The `train_schedule`: stages 0..n-1, the first starting at epoch 0, each starting right after
/// the previous one ends (ends inclusive).
internal sealed record TrainSchedule(IReadOnlyList<TrainingStage> Stages)
{
    /// The last epoch of the last stage.
    public int LastEpoch => Stages[^1].End;

    /// The stage that runs the given epoch, or null after the schedule ends.
    public TrainingStage? StageOfEpoch(int epoch) => Stages.FirstOrDefault(s => s.Start <= epoch && epoch <= s.End);
}
