namespace MaceScf.Distributed;

/// One process: rank 0 of 1, sums are the values themselves.
internal sealed class SingleProcess : ICommunicator
{
    public static SingleProcess Instance { get; } = new();

    public int Rank => 0;

    public int Size => 1;

    public void Sum(double[] values) { }

    public void Abort(int exitCode) => Environment.Exit(exitCode);

    public void Dispose() { }
}
