using BenchmarkDotNet.Attributes;
using MaceScf.Data;

namespace MaceScf.Bench;

/// Neighbour list of a random periodic box at liquid density (0.1 atoms/Å³) with a 5 Å cutoff;
/// the time should grow linearly with the number of atoms.
[MemoryDiagnoser]
[SimpleJob(launchCount: 1, warmupCount: 3, iterationCount: 10)]
public class NeighbourListBenchmarks
{
    private const double Density = 0.1;
    private const double Cutoff = 5.0;

    private double[,] _positions = null!;
    private double[,] _cell = null!;

    [Params(1_000, 10_000, 100_000)]
    public int Atoms { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        double length = Math.Cbrt(Atoms / Density);
        _cell = new double[,] { { length, 0, 0 }, { 0, length, 0 }, { 0, 0, length } };
        var random = new Random(42);
        _positions = new double[Atoms, 3];
        for (int i = 0; i < Atoms; i++)
            for (int d = 0; d < 3; d++) _positions[i, d] = length * random.NextDouble();
    }

    [Benchmark]
    public int PeriodicBox() => NeighbourList.Build(_positions, _cell, [true, true, true], Cutoff).EdgeCount;
}
