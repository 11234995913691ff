namespace MaceScf.Distributed;

/// The ranks of a data-parallel training run and the one collective it needs (docs/distributed.md). MPI implements it
/// (<see cref="MpiCommunicator"/>); a single process is <see cref="SingleProcess"/>; another transport (e.g. NCCL) can
/// replace both.
internal interface ICommunicator : IDisposable
{
    /// This process's rank, 0 ≤ Rank &lt; Size; rank 0 writes every file of a run.
    int Rank { get; }

    /// The number of ranks.
    int Size { get; }

    /// Replaces <paramref name="values"/> by their element-wise sum over the ranks; every rank receives the same sum.
    void Sum(double[] values);

    /// Ends every rank of the job with <paramref name="exitCode"/>: a rank that fails brings the others down instead of
    /// leaving them waiting in <see cref="Sum"/>.
    void Abort(int exitCode);
}
