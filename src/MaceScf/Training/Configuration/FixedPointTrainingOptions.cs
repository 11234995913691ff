using MaceScf.FixedPoint;

namespace MaceScf.Training;

/// A stage's `fixed_point_training_options`: the mode, the nested SCF settings (the model's own
/// <see cref="ScfOptions"/>; null for direct), the linear solver of implicit/linearize_solve and the
/// SCF-stability switch (true by default when the stage's loss has a fixedpoint_scf_stability term).
internal sealed record FixedPointTrainingOptions(TrainingMode Mode, ScfOptions? Scf, LinearSolve LinearSolve, bool FixedPointScfStability);
