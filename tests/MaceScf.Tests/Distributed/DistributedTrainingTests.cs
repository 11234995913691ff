using System.Diagnostics;
using System.Text.Json;
using System.Text.RegularExpressions;
using MaceScf.FixedPoint;
using MaceScf.Tests.Cli;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Distributed;

/// `mpiexec -n 2 macescf train --distributed` against one process on a reduced copy of the bundled example
/// (docs/distributed.md); needs MPICH (Debian mpich, installed by .ci/run).
public sealed class DistributedTrainingTests(ReducedConductor example) : IClassFixture<ReducedConductor>
{
    static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    [Fact]
    public void Two_ranks_reproduce_the_single_process_run()
    {
        string reference = example.Single("adam");
        using var job = MpiJob.Start(2, [.. example.Arguments("two", "--distributed", "--optimizer", "adam")]);
        Assert.True(job.WaitForExit(Limit) == 0, job.Output);
        Assert.Contains("distributed: 2 MPI ranks", job.Output);
        var single = MetricsLog.Read(example.MetricsPath(reference));
        var two = MetricsLog.Read(example.MetricsPath("two"));
        Assert.Equal(6, single.Count);
        Assert.Equal(single.Select(e => e.GetProperty("mode").GetString()), two.Select(e => e.GetProperty("mode").GetString()));
        Assert.Equal(["Direct", "Direct", "UnrollScf", "UnrollScf", "Implicit", "Implicit"], two.Select(e => e.GetProperty("mode").GetString()));
        foreach (var (a, b) in single.Zip(two))
        {
            AssertRelative(a.GetProperty("train_loss").GetDouble(), b.GetProperty("train_loss").GetDouble(), 1e-10);
            AssertRelative(a.GetProperty("valid_loss").GetDouble(), b.GetProperty("valid_loss").GetDouble(), 1e-10);
            Assert.Equal(2, b.GetProperty("ranks").GetInt32());
            Assert.Equal(1.0, b.GetProperty("rank_imbalance").GetDouble()); // 8-atom frames, 2 per rank
        }
        AssertSameParameters(example.ModelPath(reference), example.ModelPath("two"));
        // The validation at the SCF of inference (each stage's end) and the final tables: whole batches of one frame
        // (valid_batch_size 1) shared out over the ranks and gathered.
        var inference = single.Zip(two).Where(p => p.First.GetProperty("inference").ValueKind != JsonValueKind.Null).ToList();
        Assert.Equal(3, inference.Count);
        foreach (var (a, b) in inference)
        {
            var (x, y) = (a.GetProperty("inference"), b.GetProperty("inference"));
            foreach (var count in new[] { "frames", "converged", "max_steps_reached", "diverged", "scf_steps_max" })
                Assert.Equal(x.GetProperty(count).GetInt32(), y.GetProperty(count).GetInt32());
            AssertRelative(x.GetProperty("scf_steps_mean").GetDouble(), y.GetProperty("scf_steps_mean").GetDouble(), 1e-12);
            var rmse = x.GetProperty("rmse").EnumerateObject().ToList();
            Assert.Equal(rmse.Select(p => p.Name), y.GetProperty("rmse").EnumerateObject().Select(p => p.Name));
            Assert.Contains(rmse, p => p.Name == "energy_per_atom");
            // total_charge of a constant-charge SCF is zero to rounding (~1e-17 e): compared absolutely there.
            foreach (var p in rmse)
                AssertRelative(p.Value.GetDouble(), y.GetProperty("rmse").GetProperty(p.Name).GetDouble(), 1e-12, absolute: 1e-15);
        }
        AssertSameTables(example.SingleOutput("adam"), job.Output);
        // Only rank 0 wrote: one metrics line per epoch, one log.
        Assert.Single(Directory.GetFiles(Path.Combine(example.Folder, "two", "logs")));
    }

    /// shard_data: each rank holds only its shard of the training file (whole blocks of valid_batch_size frames, block k on
    /// rank k mod 2) and streams the file for the statistics and the final evaluation; the run is the single-process one.
    [Fact]
    public void Two_ranks_reading_their_shards_reproduce_the_single_process_run()
    {
        string reference = example.Single("adam");
        using var job = MpiJob.Start(2, [.. example.Arguments("sharded", "--distributed", "--shard_data", "true", "--optimizer", "adam")]);
        Assert.True(job.WaitForExit(Limit) == 0, job.Output);
        Assert.Contains("shard_data: each rank holds its shard of the training frames in memory (rank 0: 3 of 6)", job.Output);
        var single = MetricsLog.Read(example.MetricsPath(reference));
        var sharded = MetricsLog.Read(example.MetricsPath("sharded"));
        Assert.Equal(single.Count, sharded.Count);
        foreach (var (a, b) in single.Zip(sharded))
        {
            AssertRelative(a.GetProperty("train_loss").GetDouble(), b.GetProperty("train_loss").GetDouble(), 1e-10);
            AssertRelative(a.GetProperty("valid_loss").GetDouble(), b.GetProperty("valid_loss").GetDouble(), 1e-10);
        }
        AssertSameParameters(example.ModelPath(reference), example.ModelPath("sharded"));
        AssertSameTables(example.SingleOutput("adam"), job.Output);
    }

    /// With the schedule-free optimiser (its z, x and moments go through the checkpoint) and EMA.
    [Fact]
    public void A_killed_rank_ends_the_job_within_seconds_and_a_restart_reproduces_the_uninterrupted_run()
    {
        string reference = example.Single("schedulefree");
        string[] distributed = ["--distributed", "--optimizer", "schedulefree"];
        using (var job = MpiJob.Start(2, [.. example.Arguments("killed", distributed)]))
        {
            string firstCheckpoint = Path.Combine(example.CheckpointsDir("killed"), "conductor_run-1_epoch-1");
            var wait = Stopwatch.StartNew();
            while (!Directory.Exists(firstCheckpoint))
            {
                Assert.False(job.HasExited, job.Output);
                Assert.True(wait.Elapsed < Limit, job.Output);
                Thread.Sleep(50);
            }
            Thread.Sleep(300); // into epoch 2
            int pid = job.RankProcess(1);
            Process.GetProcessById(pid).Kill();
            var killed = Stopwatch.StartNew();
            int code = job.WaitForExit(Limit);
            double seconds = killed.Elapsed.TotalSeconds;
            Assert.NotEqual(0, code);
            Assert.True(seconds < 10, $"the job took {seconds:F1} s to end after rank 1 was killed");
            // MPICH's launcher names a process of the ended job by PID (the killed one, or under load sometimes rank 0, which
            // it ended); the run's rank table names the rank of every PID it reports.
            Assert.Contains($"1: pid {pid} on ", job.Output);
            var reported = Regex.Matches(job.Output, @"PID (\d+) ").Select(m => m.Groups[1].Value).ToList();
            Assert.True(reported.Count > 0, job.Output);
            Assert.All(reported, p => Assert.Matches($@"[01]: pid {p} on ", job.Output));
            Assert.False(File.Exists(example.ModelPath("killed")));
        }
        using (var restart = MpiJob.Start(2, [.. example.Arguments("killed", distributed)]))
            Assert.True(restart.WaitForExit(Limit) == 0, restart.Output);
        var single = MetricsLog.Read(example.MetricsPath(reference));
        var restarted = MetricsLog.Read(example.MetricsPath("killed"));
        // The restart appended the epochs after the latest checkpoint.
        Assert.Equal(5, restarted[^1].GetProperty("epoch").GetInt32());
        foreach (var b in restarted.Where(e => e.GetProperty("epoch").GetInt32() >= 2))
            AssertRelative(single[b.GetProperty("epoch").GetInt32()].GetProperty("train_loss").GetDouble(), b.GetProperty("train_loss").GetDouble(), 1e-10);
        AssertSameParameters(example.ModelPath(reference), example.ModelPath("killed"));
    }

    /// Plain `macescf train` (run in this process) never loads the MPI library, so it needs none installed.
    [Fact]
    public void Plain_training_never_loads_MPI()
    {
        Assert.True(File.Exists(example.ModelPath(example.Single("adam"))));
        Assert.DoesNotContain("libmpich", File.ReadAllText("/proc/self/maps"));
    }

    [Fact]
    public void A_rank_that_fails_aborts_the_job_with_its_rank_in_the_message()
    {
        string empty = Path.Combine(example.Folder, "empty.xyz");
        File.WriteAllText(empty, "");
        using var job = MpiJob.Start(2, [.. example.Arguments("failing", "--distributed", "--train_file", empty)]);
        Assert.NotEqual(0, job.WaitForExit(TimeSpan.FromMinutes(2)));
        Assert.True(Regex.IsMatch(job.Output, @"error: rank [01] of 2 failed: .*empty\.xyz: frame 0, line 1: the file is empty"), job.Output);
    }

    [Fact]
    public void Ranks_of_a_launcher_without_distributed_are_a_usage_error()
    {
        var info = new ProcessStartInfo("dotnet") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { Path.Combine(AppContext.BaseDirectory, "MaceScf.Cli.dll") }.Concat(example.Arguments("plain"))) info.ArgumentList.Add(a);
        info.Environment["PMI_SIZE"] = "2";
        info.Environment["PMI_RANK"] = "1";
        using var process = Process.Start(info)!;
        string output = process.StandardOutput.ReadToEnd() + process.StandardError.ReadToEnd();
        process.WaitForExit();
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("without --distributed", output);
        Assert.False(Directory.Exists(Path.Combine(example.Folder, "plain")));
    }

    /// The final tables word for word, but for values that are zero to rounding (the total charge of a constant-charge SCF,
    /// ~1e-17 e), whose rounding differs with the threads per process.
    static void AssertSameTables(string singleOutput, string output)
    {
        var (tables, distributed) = (FinalTables(singleOutput), FinalTables(output));
        Assert.Contains("test", tables);
        Assert.True(tables.Count == distributed.Count, $"final tables differ:\n{string.Join(" ", tables)}\n{string.Join(" ", distributed)}");
        foreach (var (a, b) in tables.Zip(distributed))
            Assert.True(a == b || (Number(a) is { } x && Number(b) is { } y && Math.Abs(x - y) <= 1e-15), $"final tables differ: '{b}' for '{a}'\n{output}");
    }

    /// The words of the final error tables (from the `final errors` line on), without the tables' borders, progress lines and
    /// MPICH's warnings at MPI_Finalize.
    static IReadOnlyList<string> FinalTables(string output)
    {
        int start = output.IndexOf("final errors", StringComparison.Ordinal);
        Assert.True(start >= 0, output);
        var lines = output[start..].Split('\n').Where(l => !Regex.IsMatch(l, @"^(final evaluation .*: \d+/\d+ \(|\[WARNING\] yaksa)"));
        return Regex.Replace(string.Join(" ", lines), @"[\u2500-\u257F]", " ").Split(' ', StringSplitOptions.RemoveEmptyEntries);
    }

    static double? Number(string word) =>
        double.TryParse(word, System.Globalization.NumberStyles.Float, System.Globalization.CultureInfo.InvariantCulture, out var x) ? x : null;

    static void AssertRelative(double expected, double actual, double tolerance, double absolute = 0) =>
        Assert.True(Math.Abs(actual - expected) <= Math.Max(absolute, tolerance * Math.Abs(expected)),
            $"{actual:R} differs from {expected:R} by more than {tolerance} relative" + (absolute > 0 ? $" and {absolute} absolute" : ""));

    static void AssertSameParameters(string expectedPath, string actualPath)
    {
        using var expected = ModelFile.Load(expectedPath);
        using var actual = ModelFile.Load(actualPath);
        using var scope = NewDisposeScope();
        var a = expected.named_parameters().ToList();
        var b = actual.named_parameters().ToList();
        Assert.Equal(a.Select(p => p.name), b.Select(p => p.name));
        foreach (var ((name, p), (_, q)) in a.Zip(b))
        {
            double scale = Math.Max(1e-300, p.abs().max().item<double>());
            double difference = (p - q).abs().max().item<double>();
            Assert.True(difference <= 1e-10 * scale, $"parameter {name}: max difference {difference:E2} (scale {scale:E2})");
        }
    }
}
