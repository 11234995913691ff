using static TorchSharp.torch;

namespace MaceScf.Distributed;

/// libtorch threads of a rank: the cores of the node shared by the ranks on it, unless OMP_NUM_THREADS says otherwise
/// (ranks that each took every core would oversubscribe the node).
internal static class RankThreads
{
    /// Sets and returns the thread count: OMP_NUM_THREADS when set, else cores / ranks on this node (MPI_LOCALNRANKS of
    /// MPICH's Hydra, SLURM_NTASKS_PER_NODE of Slurm), at least 1.
    public static int Apply()
    {
        if (int.TryParse(Environment.GetEnvironmentVariable("OMP_NUM_THREADS"), out int requested) && requested > 0)
        {
            set_num_threads(requested);
            return requested;
        }
        int local = new[] { "MPI_LOCALNRANKS", "SLURM_NTASKS_PER_NODE" }
            .Select(name => int.TryParse(Environment.GetEnvironmentVariable(name), out int n) ? n : 0).FirstOrDefault(n => n > 0, 1);
        int threads = Math.Max(1, Environment.ProcessorCount / local);
        set_num_threads(threads);
        return threads;
    }
}
