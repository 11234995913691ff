namespace MaceScf.Distributed;

/// What an MPI launcher (mpiexec, mpirun, srun) tells a process through its environment, read without loading MPI.
internal static class MpiLauncher
{
    /// The number of ranks the launcher started (PMI_SIZE of MPICH's Hydra and of Slurm's PMI, OMPI_COMM_WORLD_SIZE of
    /// Open MPI's mpirun), or 1 outside a launcher.
    public static int Ranks()
    {
        foreach (var name in new[] { "PMI_SIZE", "OMPI_COMM_WORLD_SIZE" })
            if (int.TryParse(Environment.GetEnvironmentVariable(name), out int size) && size > 0) return size;
        return 1;
    }
}
