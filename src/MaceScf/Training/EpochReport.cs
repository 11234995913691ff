namespace MaceScf.Training;

/// <summary>One epoch of training, as the progress callback and the metrics file see it.</summary>
/// <param name="Epoch">the epoch (0-based, counted over the whole schedule)</param>
/// <param name="LastEpoch">the schedule's last epoch</param>
/// <param name="Stage">index of the train_schedule stage</param>
/// <param name="StageName">name of that stage</param>
/// <param name="Mode">the stage's fixed-point training mode</param>
/// <param name="Lr">learning rate of the first parameter group</param>
/// <param name="TrainLoss">mean training loss of the epoch</param>
/// <param name="TrainLossTerms">that loss by term</param>
/// <param name="ValidLoss">validation loss, when the epoch was evaluated</param>
/// <param name="Rmse">RMSE per property ("train" and, after an evaluation, "valid"): energy_per_atom (eV/atom), forces
/// (eV/Å), atomic_multipoles (e·Å^l), total_charge (e), dipole (e·Å), fermi_level (V)</param>
/// <param name="ScfSteps">mean SCF updates per structure of the training batches (null in direct mode)</param>
/// <param name="ScfConverged">fraction of converged structures (null in direct mode)</param>
/// <param name="Seconds">wall time of the epoch</param>
/// <param name="Evaluated">whether the validation set was evaluated</param>
/// <param name="Improved">whether the validation loss improved on the stage's best</param>
/// <param name="Fallbacks">training batches whose implicit / linearize_solve solve was poor and fell back to an unroll (on any rank)</param>
/// <param name="Ranks">the ranks of a distributed run (null in one process)</param>
/// <param name="Inference">the validation set with the SCF run as at inference (every inference_eval_interval epochs of a stage
/// and at its end), or null</param>
/// <param name="InferenceWarning">how that validation disagrees with the stage's own (<see cref="InferenceReport.Divergence"/>),
/// or null</param>
/// <param name="TrainCpuSeconds">CPU time of the process (all threads) in the epoch's training batches, without validation: what an
/// epoch costs on a shared machine, where the wall time depends on the load</param>
public sealed record EpochReport(int Epoch, int LastEpoch, int Stage, string StageName, TrainingMode Mode, double Lr, double TrainLoss,
    IReadOnlyDictionary<string, double> TrainLossTerms, double? ValidLoss, IReadOnlyDictionary<string, IReadOnlyDictionary<string, double>> Rmse,
    double? ScfSteps, double? ScfConverged, int Fallbacks, double Seconds, bool Evaluated, bool Improved, RankStatistics? Ranks = null,
    InferenceReport? Inference = null, string? InferenceWarning = null, double? TrainCpuSeconds = null);

/// <summary>How an epoch ran over several ranks.</summary>
/// <param name="Count">number of ranks</param>
/// <param name="Imbalance">mean over the steps of the most atoms on one rank over the mean per rank (1 = balanced)</param>
/// <param name="CommunicationSeconds">this rank's time in the gradient sums (waiting for slower ranks included)</param>
public sealed record RankStatistics(int Count, double Imbalance, double CommunicationSeconds);
