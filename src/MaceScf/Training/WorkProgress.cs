namespace MaceScf.Training;

/// Progress of long work (the batches of an epoch, the frames of an evaluation), reported after each batch: what is being
/// done, how much of it is done and how much there is.
/// <param name="Phase">e.g. `epoch 3/9 training`, `final evaluation valid`</param>
public sealed record WorkProgress(string Phase, int Done, int Total);
