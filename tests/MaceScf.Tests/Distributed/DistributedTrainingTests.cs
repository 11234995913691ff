using System.Diagnostics;
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
        // Only rank 0 wrote: one metrics line per epoch, one log.
        Assert.Single(Directory.GetFiles(Path.Combine(example.Folder, "two", "logs")));
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
            // MPICH's launcher names the killed process by PID; the run's rank table names its rank.
            Assert.True(job.Output.Contains($"PID {pid} ") && job.Output.Contains($"1: pid {pid} on "), job.Output);
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

    static void AssertRelative(double expected, double actual, double tolerance) =>
        Assert.True(Math.Abs(actual - expected) <= tolerance * Math.Abs(expected), $"{actual:R} differs from {expected:R} by more than {tolerance} relative");

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
