using System.Reflection;
using System.Runtime.InteropServices;

namespace MaceScf.Distributed;

/// MPI_COMM_WORLD through MPI.NET over MPICH. MPI.NET P/Invokes MS-MPI's library name; MPICH shares MS-MPI's integer-handle
/// ABI, so the name is resolved to MPICH's `libmpich.so.12` (Debian `mpich`/`libmpich-dev`). Open MPI cannot back it (its
/// handles are pointers). Creating one initialises MPI; disposing it finalises MPI.
internal sealed class MpiCommunicator : ICommunicator
{
    /// The MPICH library MS-MPI's name is mapped to.
    public const string Library = "libmpich.so.12";

    private static int _resolverSet;

    private readonly MPI.Environment _environment;
    private readonly MPI.Intracommunicator _world;

    private MpiCommunicator(MPI.Environment environment)
    {
        _environment = environment;
        _world = MPI.Communicator.world;
        Rank = _world.Rank;
        Size = _world.Size;
    }

    public int Rank { get; }

    public int Size { get; }

    /// Initialises MPI. Throws <see cref="DllNotFoundException"/> with what to install when MPICH is missing.
    public static MpiCommunicator Start()
    {
        if (Interlocked.Exchange(ref _resolverSet, 1) == 0)
            NativeLibrary.SetDllImportResolver(typeof(MPI.Environment).Assembly, Resolve);
        if (!NativeLibrary.TryLoad(Library, out _))
            throw new DllNotFoundException($"distributed training needs MPICH's {Library}: install the Debian packages mpich and "
                + "libmpich-dev (apt-get install mpich libmpich-dev), or a cluster's MPICH-ABI MPI (MPICH, Intel MPI, Cray MPICH)");
        string[] args = [];
        return new MpiCommunicator(new MPI.Environment(ref args));
    }

    public void Sum(double[] values)
    {
        var sums = _world.Allreduce(values, MPI.Operation<double>.Add);
        Array.Copy(sums, values, values.Length);
    }

    public void Abort(int exitCode) => _world.Abort(exitCode);

    public void Dispose() => _environment.Dispose();

    private static IntPtr Resolve(string name, Assembly assembly, DllImportSearchPath? path) =>
        name.StartsWith("msmpi", StringComparison.OrdinalIgnoreCase) ? NativeLibrary.Load(Library) : IntPtr.Zero;
}
