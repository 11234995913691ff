namespace MaceScf.Training;

/// Optimiser, parameter-group weight decays, scheduler, EMA and clipping, named as the options.
internal sealed record OptimizerOptions
{
    public required OptimizerKind Optimizer { get; init; }
    public required double Lr { get; init; }
    public required double WeightDecay { get; init; }
    public required double FieldBlockWeightDecay { get; init; }
    public required double LocalChargesWeightDecay { get; init; }
    public required double Beta { get; init; }
    public required double BetaTwo { get; init; }
    public required bool Amsgrad { get; init; }
    public required string Scheduler { get; init; }
    public required double LrFactor { get; init; }
    public required int SchedulerPatience { get; init; }
    public required double LrSchedulerGamma { get; init; }
    public required bool Ema { get; init; }
    public required double EmaDecay { get; init; }
    /// Null: no gradient clipping.
    public required double? ClipGrad { get; init; }

    public static OptimizerOptions From(TrainingConfig c) => new()
    {
        Optimizer = c.Get(TrainingOptions.Optimizer),
        Lr = c.Get(TrainingOptions.Lr),
        WeightDecay = c.Get(TrainingOptions.WeightDecay),
        FieldBlockWeightDecay = c.Get(TrainingOptions.FieldBlockWeightDecay),
        LocalChargesWeightDecay = c.Get(TrainingOptions.LocalChargesWeightDecay),
        Beta = c.Get(TrainingOptions.Beta),
        BetaTwo = c.Get(TrainingOptions.BetaTwo),
        Amsgrad = c.Get(TrainingOptions.Amsgrad),
        Scheduler = c.Get(TrainingOptions.Scheduler),
        LrFactor = c.Get(TrainingOptions.LrFactor),
        SchedulerPatience = c.Get(TrainingOptions.SchedulerPatience),
        LrSchedulerGamma = c.Get(TrainingOptions.LrSchedulerGamma),
        Ema = c.Get(TrainingOptions.Ema),
        EmaDecay = c.Get(TrainingOptions.EmaDecay),
        ClipGrad = c.Get(TrainingOptions.ClipGrad),
    };
}
