using MaceScf.Cli;
using MaceScf.Training;

namespace MaceScf.Tests.Cli;

/// Issue 13 item 11: live progress with an estimate of the time left on a terminal, plain lines at intervals otherwise.
public sealed class ProgressTests
{
    [Fact]
    public void Plain_progress_writes_a_line_per_interval_with_the_time_left()
    {
        var lines = new List<string>();
        var now = TimeSpan.Zero;
        var progress = new PlainProgress(lines.Add, TimeSpan.FromSeconds(10), () => now);
        progress.Report(new WorkProgress("epoch 0/3 training", 1, 10));
        now = TimeSpan.FromSeconds(5);
        progress.Report(new WorkProgress("epoch 0/3 training", 2, 10));
        Assert.Empty(lines);
        now = TimeSpan.FromSeconds(10);
        progress.Report(new WorkProgress("epoch 0/3 training", 3, 10));
        // 2 batches in 10 s since the first report: 5 s per batch, 7 left.
        Assert.Equal(["epoch 0/3 training: 3/10 (30%), about 35 s left"], lines);
        now = TimeSpan.FromSeconds(15);
        progress.Report(new WorkProgress("epoch 0/3 training", 4, 10));
        Assert.Single(lines);
        now = TimeSpan.FromSeconds(2000);
        progress.Report(new WorkProgress("final evaluation valid", 4, 4));
        Assert.Equal("final evaluation valid: 4/4 (100%)", lines[^1]);
        Assert.Equal("12 min 5 s", PlainProgress.Duration(725));
        Assert.Equal("3 h 20 min", PlainProgress.Duration(12_000));
    }

    [Fact]
    public void On_a_terminal_the_phases_in_progress_show_as_bars_with_the_time_left()
    {
        var writer = new StringWriter();
        var console = CliRunner.Console(writer, terminal: true, width: 120);
        int result = LiveProgress.Run(console, work =>
        {
            work.Report(new WorkProgress("epochs", 1, 4));
            work.Report(new WorkProgress("epoch 1/3 training", 3, 7));
            work.Report(new WorkProgress("epoch 0/3 validation", 2, 2));
            return 42;
        });
        Assert.Equal(42, result);
        string output = writer.ToString();
        Assert.Contains("epochs", output);
        Assert.Contains("epoch 1/3 training", output);
        Assert.Contains("42%", output);
        Assert.DoesNotContain("epoch 0/3 validation", output);
    }
}
