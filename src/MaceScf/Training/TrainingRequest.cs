using MaceScf.Models;

namespace MaceScf.Training;

/// The model request of a training stage: its mode as the solution method, its SCF settings, and the outputs its loss needs.
internal static class TrainingRequest
{
    /// Most SCF steps of the unroll that replaces a failed implicit or linearised solve in training (keeps the graph small).
    public const int FallbackSteps = 15;

    /// <param name="stage">the training stage: its mode and SCF settings</param>
    /// <param name="forces">forces are needed by the loss or the metrics</param>
    /// <param name="training">the parameters are differentiated (a training step, not an evaluation)</param>
    /// <param name="stress">the virials are needed by the loss or the metrics</param>
    public static PredictionRequest For(TrainingStage stage, bool forces, bool training, bool stress = false)
    {
        var options = stage.FixedPointTrainingOptions;
        return new PredictionRequest
        {
            Forces = forces,
            Stress = stress,
            CreateGraph = training && (TrainingLoss.NeedsForces(stage.Loss) || TrainingLoss.NeedsStress(stage.Loss)),
            Training = training,
            Method = Method(options.Mode),
            Scf = options.Mode == TrainingMode.Direct ? new() : options.Scf ?? throw new ArgumentException($"mode {options.Mode} needs an scf block"),
            FallbackStepLimit = FallbackSteps,
            Potentials = TrainingLoss.NeedsEsps(stage.Loss),
            FieldFeatures = TrainingLoss.NeedsFieldFeatures(stage.Loss),
            Stability = options.FixedPointScfStability && TrainingLoss.NeedsStability(stage.Loss),
            Polarizability = TrainingLoss.NeedsPolarizability(stage.Loss),
            BornCharges = TrainingLoss.NeedsBornCharges(stage.Loss),
        };
    }

    public static SolutionMethod Method(TrainingMode mode) => mode switch
    {
        TrainingMode.Direct => SolutionMethod.Direct,
        TrainingMode.UnrollScf => SolutionMethod.Unroll,
        TrainingMode.Implicit => SolutionMethod.Implicit,
        _ => SolutionMethod.LinearizeSolve,
    };
}
