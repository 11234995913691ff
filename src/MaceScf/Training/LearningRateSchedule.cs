namespace MaceScf.Training;

/// The lr scheduler across stages (docs/training.md, "Optimiser, lr and EMA"): each stage resets every group's lr to its stage value; at the top of every
/// later epoch of the stage ExponentialLR multiplies it by γ, or ReduceLROnPlateau by lr_factor once the last validation
/// loss has not improved for more than scheduler_patience epochs (the plateau counter persists across stages). With
/// schedulefree it is a no-op: the multiplier stays 1.
internal sealed class LearningRateSchedule(OptimizerOptions options)
{
    /// Factor applied to the stage lr.
    public double Multiplier { get; private set; } = 1.0;

    public double Best { get; private set; } = double.PositiveInfinity;

    public int BadEpochs { get; private set; }

    public void StartStage() => Multiplier = 1.0;

    public void Step(double? lastValidLoss)
    {
        if (options.Optimizer == OptimizerKind.Schedulefree) return;
        if (options.Scheduler == "ExponentialLR")
        {
            Multiplier *= options.LrSchedulerGamma;
            return;
        }
        if (lastValidLoss is not { } loss) return;
        if (loss < Best)
        {
            Best = loss;
            BadEpochs = 0;
        }
        else if (++BadEpochs > options.SchedulerPatience)
        {
            Multiplier *= options.LrFactor;
            BadEpochs = 0;
        }
    }

    public void Restore(double multiplier, double best, int badEpochs) => (Multiplier, Best, BadEpochs) = (multiplier, best, badEpochs);
}
