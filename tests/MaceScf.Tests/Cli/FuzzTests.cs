using System.Diagnostics;
using System.Globalization;
using Xunit.Abstractions;

namespace MaceScf.Tests.Cli;

/// Deterministic fuzzing of the commands that read extxyz files (docs/errors.md): a few hundred mutations of the bundled
/// files (unphysical cells: zero, tiny, huge, non-finite, left-handed; zero and huge atom counts; non-finite and huge
/// numbers; unknown elements; coincident atoms; cut and repeated lines) through inspect, inspect --r-max, coulomb and
/// eval. Every run must end with exit code 0, 1 or 2 (no exception escapes the entry point), within a time limit, and
/// the process's peak memory must stay under a bound.
public sealed class FuzzTests(ITestOutputHelper output) : IDisposable
{
    public const int Seed = 20261206, Mutations = 200;

    /// Extra resident memory the whole campaign may take (bytes), and the longest a single run may take (s).
    public const double MemoryBound = 1.5e9, RunTimeLimit = 30;

    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-fuzz-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// Base inputs: the first two frames of each bundled file and its multipoles key.
    private static readonly (string File, string Multipoles)[] Bases =
    [
        ("test_configs.xyz", "DMA_coeficients"), ("bulk_test_configs.xyz", "some_multipoles"),
        ("slab_test_configs.xyz", "some_multipoles"), ("mixed_test_configs.xyz", "some_multipoles"),
    ];

    [Fact]
    public void MutatedFilesNeverCrashHangOrExhaustMemory()
    {
        var random = new Random(Seed);
        string model = SmallModel.Save(_dir);
        var bases = Bases.Select(b => (Lines: FirstFrames(TestData.Fixture(b.File), 2), b.Multipoles)).ToArray();
        // Runs whose plan would take more than 1 GB are refused (the structures here are a few atoms: only huge cells get there).
        Environment.SetEnvironmentVariable("MACESCF_MEMORY_LIMIT_GB", "1");
        long baseline = ProcessMemory.ResetPeak();
        var codes = new Dictionary<int, int>();
        var clock = Stopwatch.StartNew();
        for (int m = 0; m < Mutations; m++)
        {
            var (lines, multipoles) = bases[random.Next(bases.Length)];
            var (mutated, description) = Mutate(lines, random);
            string path = Path.Combine(_dir, $"m{m}.xyz");
            File.WriteAllText(path, string.Join('\n', mutated) + "\n");
            string[] args = (m % 5) switch
            {
                0 => ["inspect", path],
                1 => ["inspect", path, "--r-max", "3"],
                2 or 3 => ["coulomb", path, "--multipoles-key", multipoles, "--atomic_multipoles_max_l", "1", "-o", Path.Combine(_dir, "c.xyz")],
                _ => ["eval", model, path, "-o", Path.Combine(_dir, "e.xyz"), "--num_scf_steps", "3", "--no-forces", "--batch-size", "2"],
            };
            var run = Task.Run(() => CliRunner.Run(args));
            Assert.True(run.Wait(TimeSpan.FromSeconds(RunTimeLimit)), $"mutation {m} ({description}): {string.Join(' ', args[..2])} hung");
            var (code, text) = run.Result;
            Assert.True(code is 0 or 1 or 2, $"mutation {m} ({description}): exit code {code}\n{text}");
            Assert.DoesNotContain("   at ", text);   // no stack trace
            if (code == 0 && args[0] != "inspect") AssertFiniteOutput(Path.Combine(_dir, args[0] == "eval" ? "e.xyz" : "c.xyz"));
            codes[code] = codes.GetValueOrDefault(code) + 1;
        }
        Environment.SetEnvironmentVariable("MACESCF_MEMORY_LIMIT_GB", null);
        double peak = ProcessMemory.Peak() - baseline;
        output.WriteLine($"{Mutations} mutations in {clock.Elapsed.TotalSeconds:F1} s; exit codes "
            + string.Join(", ", codes.OrderBy(c => c.Key).Select(c => $"{c.Key}: {c.Value}")) + $"; peak memory +{peak / 1e6:F0} MB");
        Assert.True(peak < MemoryBound, $"peak resident memory grew by {peak / 1e9:F2} GB");
        Assert.True(codes.GetValueOrDefault(0) > 0 && codes.GetValueOrDefault(1) > 0, "the mutations should give both successes and refusals");
    }

    private static void AssertFiniteOutput(string path)
    {
        if (!File.Exists(path)) return;
        foreach (var frame in MaceScf.Data.ExtXyzReader.Read(path))
            Assert.Null(MaceScf.Data.FrameChecks.FirstNonFinite(frame));
        File.Delete(path);
    }

    private static List<string> FirstFrames(string path, int frames)
    {
        var lines = File.ReadAllLines(path);
        var kept = new List<string>();
        int at = 0;
        for (int f = 0; f < frames && at < lines.Length; f++)
        {
            int n = int.Parse(lines[at].Trim(), CultureInfo.InvariantCulture);
            kept.AddRange(lines.Skip(at).Take(n + 2));
            at += n + 2;
        }
        return kept;
    }

    private static readonly string[] Cells =
    [
        "0 0 0 0 0 0 0 0 0", "0.001 0 0 0 0.001 0 0 0 0.001", "1e6 0 0 0 1e6 0 0 0 1e6", "1e300 0 0 0 1e300 0 0 0 1e300",
        "nan 0 0 0 10 0 0 0 10", "10 0 0 0 inf 0 0 0 10", "10 0 0 0 -10 0 0 0 10", "10 0 0 10 0 0 0 0 10", "400 0 0 0 400 0 0 0 400",
        "3 0 0 0 3 0 0 0 3", "10 0 0 5 8.66 0 0 0 1e-9",
    ];

    private static readonly string[] Numbers = ["nan", "inf", "-inf", "1e300", "-1e300", "1e-300", "0", "1e9", "NaN", "Infinity"];

    private static readonly string[] Counts = ["0", "1000000000", "2147483647", "99999999999", "-1", "1"];

    /// One random mutation of the frames' text, and what it was.
    private static (List<string> Lines, string Description) Mutate(List<string> original, Random random)
    {
        var lines = original.ToList();
        int countLine = 0, frameLines = int.Parse(lines[0].Trim(), CultureInfo.InvariantCulture) + 2;
        int AtomLine() => 2 + random.Next(frameLines - 2);
        switch (random.Next(9))
        {
            case 0:
                string cell = Cells[random.Next(Cells.Length)];
                lines[1] = System.Text.RegularExpressions.Regex.Replace(lines[1], "Lattice=\"[^\"]*\"", $"Lattice=\"{cell}\"");
                return (lines, $"Lattice {cell}");
            case 1:
                string count = Counts[random.Next(Counts.Length)];
                lines[countLine] = count;
                return (lines, $"atom count {count}");
            case 2:
            {
                int line = AtomLine();
                var tokens = lines[line].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                int column = 1 + random.Next(tokens.Length - 1);
                tokens[column] = Numbers[random.Next(Numbers.Length)];
                lines[line] = string.Join(' ', tokens);
                return (lines, $"line {line} column {column} = {tokens[column]}");
            }
            case 3:
                string pbc = new[] { "T T T", "F F F", "T T F", "T F T", "F F T" }[random.Next(5)];
                lines[1] = System.Text.RegularExpressions.Regex.Replace(lines[1], "pbc=\"[^\"]*\"", $"pbc=\"{pbc}\"");
                if (random.Next(2) == 0) lines[1] = System.Text.RegularExpressions.Regex.Replace(lines[1], "Lattice=\"[^\"]*\" ", "");
                return (lines, $"pbc {pbc}");
            case 4:
            {
                int line = AtomLine();
                lines[line] = new[] { "C", "Xx", "Na", "H" }[random.Next(4)] + lines[line][lines[line].IndexOf(' ')..];
                return (lines, $"species of line {line}");
            }
            case 5:
            {
                int a = AtomLine(), b = AtomLine();
                var ta = lines[a].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                var tb = lines[b].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                Array.Copy(ta, 1, tb, 1, 3);
                lines[b] = string.Join(' ', tb);
                return (lines, $"atoms of lines {a} and {b} coincide");
            }
            case 6:
            {
                int line = random.Next(lines.Count);
                lines.RemoveAt(line);
                return (lines, $"line {line} removed");
            }
            case 7:
            {
                int line = random.Next(lines.Count);
                lines.Insert(line, lines[line]);
                return (lines, $"line {line} repeated");
            }
            default:
            {
                double scale = new[] { 0.01, 0.1, 3.0, 1e4 }[random.Next(4)];
                for (int line = 2; line < frameLines; line++)
                {
                    var tokens = lines[line].Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    for (int k = 1; k <= 3; k++)
                        tokens[k] = (double.Parse(tokens[k], CultureInfo.InvariantCulture) * scale).ToString("R", CultureInfo.InvariantCulture);
                    lines[line] = string.Join(' ', tokens);
                }
                return (lines, $"positions × {scale}");
            }
        }
    }
}
