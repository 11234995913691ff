namespace MaceScf.Training;

/// <summary>
/// Progress of long work (the batches of an epoch, the frames of an evaluation), reported after each batch: what is being
/// done, how much of it is done and how much there is.
/// </summary>
/// <param name="Phase">e.g. `epoch 3/9 training`, `final evaluation valid`</param>
/// <param name="Done">units done</param>
/// <param name="Total">units in all</param>
public sealed record WorkProgress(string Phase, int Done, int Total);
