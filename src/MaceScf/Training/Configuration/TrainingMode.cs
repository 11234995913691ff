namespace MaceScf.Training;

/// `fixed_point_training_options.mode` of a schedule stage.
public enum TrainingMode
{
    /// One update from the reference density; no SCF loop, no `scf` block.
    Direct,
    /// Differentiate through the unrolled SCF iterations.
    UnrollScf,
    /// Implicit differentiation at the converged fixed point.
    Implicit,
    /// Iterate to the fixed point, linearise the update there and solve the linear problem.
    LinearizeSolve,
}

/// `fixed_point_training_options.linear_solve`.
internal enum LinearSolve
{
    /// Dense inverse (the only choice for linearize_solve).
    Inverse,
    /// Conjugate gradients on the normal equations (implicit only).
    NormalCg,
}
