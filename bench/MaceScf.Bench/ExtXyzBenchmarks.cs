using BenchmarkDotNet.Attributes;
using MaceScf.Data;

namespace MaceScf.Bench;

/// Reading and writing a ~100 MB extended-XYZ file of 64-atom frames with forces and
/// 9 multipole coefficients per atom (16 numbers per atom line, as in the DFT fixtures).
[SimpleJob(launchCount: 1, warmupCount: 1, iterationCount: 3)]
[MemoryDiagnoser]
public class ExtXyzBenchmarks
{
    private const int AtomsPerFrame = 64;
    private const long TargetBytes = 100L * 1024 * 1024;

    private string _folder = "";
    private string _input = "";
    private List<Configuration> _frames = [];

    [GlobalSetup]
    public void Setup()
    {
        _folder = Directory.CreateTempSubdirectory("macescf-bench-").FullName;
        _input = Path.Combine(_folder, "input.xyz");
        var frame = SyntheticFrame(new Random(7));
        string text = ExtXyzWriter.WriteToString([frame]);
        int copies = (int)(TargetBytes / text.Length) + 1;
        ExtXyzWriter.Write(_input, Enumerable.Repeat(frame, copies));
        _frames = [.. Enumerable.Repeat(frame, copies)];
    }

    [GlobalCleanup]
    public void Cleanup() => Directory.Delete(_folder, recursive: true);

    /// Streams every frame and touches its atoms; the file stays on disk (page cache warm).
    [Benchmark]
    public long Read100MB()
    {
        long atoms = 0;
        foreach (var configuration in ExtXyzReader.Read(_input)) atoms += configuration.AtomCount;
        return atoms;
    }

    [Benchmark]
    public void Write100MB() => ExtXyzWriter.Write(Path.Combine(_folder, "output.xyz"), _frames);

    private static Configuration SyntheticFrame(Random random)
    {
        var positions = new double[AtomsPerFrame, 3];
        var forces = new double[AtomsPerFrame, 3];
        var multipoles = new double[AtomsPerFrame, 9];
        var numbers = new int[AtomsPerFrame];
        for (int i = 0; i < AtomsPerFrame; i++)
        {
            numbers[i] = i % 3 == 0 ? 8 : 1;
            for (int k = 0; k < 3; k++)
            {
                positions[i, k] = Math.Round(random.NextDouble() * 12, 8);
                forces[i, k] = Math.Round(random.NextDouble() - 0.5, 8);
            }
            for (int k = 0; k < 9; k++) multipoles[i, k] = Math.Round(random.NextDouble() - 0.5, 8);
        }
        var frame = new Configuration(numbers, positions, new double[,] { { 12, 0, 0 }, { 0, 12, 0 }, { 0, 0, 12 } }, [true, true, true]);
        frame.Arrays["forces"] = forces;
        frame.Arrays["multipoles"] = multipoles;
        frame.Info["energy"] = -1234.56789;
        frame.Info["total_charge"] = 0.0;
        return frame;
    }
}
