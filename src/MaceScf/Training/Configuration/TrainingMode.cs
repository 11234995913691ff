namespace MaceScf.Training;

/// <summary>`fixed_point_training_options.mode` of a schedule stage.</summary>
public enum TrainingMode
{
    /// <summary>One update from the reference density; no SCF loop, no `scf` block.</summary>
    Direct,
    /// <summary>Differentiate through the unrolled SCF iterations.</summary>
    UnrollScf,
    /// <summary>Implicit differentiation at the converged fixed point.</summary>
    Implicit,
    /// <summary>Iterate to the fixed point, linearise the update there and solve the linear problem.</summary>
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
