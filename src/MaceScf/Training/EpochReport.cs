namespace MaceScf.Training;

/// One epoch of training, as the progress callback and the metrics file see it.
/// <param name="Rmse">RMSE per property ("train" and, after an evaluation, "valid"): energy_per_atom (eV/atom), forces
/// (eV/Å), atomic_multipoles (e·Å^l), total_charge (e), dipole (e·Å), fermi_level (V)</param>
/// <param name="ScfSteps">mean SCF updates per structure of the training batches (null in direct mode)</param>
/// <param name="ScfConverged">fraction of converged structures (null in direct mode)</param>
/// <param name="Fallbacks">training batches whose implicit / linearize_solve solve was poor and fell back to an unroll (on any rank)</param>
/// <param name="Ranks">the ranks of a distributed run (null in one process)</param>
/// <param name="Inference">the validation set with the SCF run as at inference (every inference_eval_interval epochs of a stage
/// and at its end), or null</param>
/// <param name="InferenceWarning">how that validation disagrees with the stage's own (<see cref="InferenceReport.Divergence"/>),
/// or null</param>
public sealed record EpochReport(int Epoch, int LastEpoch, int Stage, string StageName, TrainingMode Mode, double Lr, double TrainLoss,
    IReadOnlyDictionary<string, double> TrainLossTerms, double? ValidLoss, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Rmse,
    double? ScfSteps, double? ScfConverged, int Fallbacks, double Seconds, bool Evaluated, bool Improved, RankStatistics? Ranks = null,
    InferenceReport? Inference = null, string? InferenceWarning = null);

/// How an epoch ran over several ranks.
/// <param name="Imbalance">mean over the steps of the most atoms on one rank over the mean per rank (1 = balanced)</param>
/// <param name="CommunicationSeconds">this rank's time in the gradient sums (waiting for slower ranks included)</param>
public sealed record RankStatistics(int Count, double Imbalance, double CommunicationSeconds);
