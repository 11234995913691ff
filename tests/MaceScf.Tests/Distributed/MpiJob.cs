using System.Diagnostics;
using System.Text;

namespace MaceScf.Tests.Distributed;

/// `mpiexec -n R dotnet MaceScf.Cli.dll ARGS` (MPICH's launcher) with its output captured, and the processes of its ranks.
public sealed class MpiJob : IDisposable
{
    private readonly Process _process;
    private readonly StringBuilder _output = new();

    public static string Launcher => File.Exists("/usr/bin/mpiexec.mpich") ? "/usr/bin/mpiexec.mpich" : "mpiexec";

    private MpiJob(Process process) => _process = process;

    public static MpiJob Start(int ranks, params string[] args)
    {
        var info = new ProcessStartInfo(Launcher) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { "-n", ranks.ToString(), "dotnet", Path.Combine(AppContext.BaseDirectory, "MaceScf.Cli.dll") }.Concat(args))
            info.ArgumentList.Add(a);
        var job = new MpiJob(Process.Start(info)!);
        job._process.OutputDataReceived += (_, e) => job.Append(e.Data);
        job._process.ErrorDataReceived += (_, e) => job.Append(e.Data);
        job._process.BeginOutputReadLine();
        job._process.BeginErrorReadLine();
        return job;
    }

    /// Everything the ranks and the launcher printed so far.
    public string Output
    {
        get { lock (_output) return _output.ToString(); }
    }

    public bool HasExited => _process.HasExited;

    /// The exit code; a job still running after <paramref name="timeout"/> is killed and fails the test.
    public int WaitForExit(TimeSpan timeout)
    {
        if (!_process.WaitForExit(timeout))
        {
            _process.Kill(entireProcessTree: true);
            Assert.Fail($"mpiexec still running after {timeout.TotalSeconds} s:\n{Output}");
        }
        _process.WaitForExit();
        return _process.ExitCode;
    }

    /// The process of rank <paramref name="rank"/>: the launcher's descendant whose environment holds PMI_RANK=rank.
    public int RankProcess(int rank)
    {
        var children = new Dictionary<int, List<int>>();
        foreach (var dir in Directory.GetDirectories("/proc"))
        {
            if (!int.TryParse(Path.GetFileName(dir), out int pid)) continue;
            try
            {
                string stat = File.ReadAllText(Path.Combine(dir, "stat"));
                int parent = int.Parse(stat[(stat.LastIndexOf(')') + 2)..].Split(' ')[1]);
                if (!children.TryGetValue(parent, out var list)) children[parent] = list = [];
                list.Add(pid);
            }
            catch (IOException) { }
        }
        var pending = new Stack<int>([_process.Id]);
        while (pending.Count > 0)
        {
            int pid = pending.Pop();
            foreach (int child in children.GetValueOrDefault(pid) ?? [])
            {
                try
                {
                    if (File.ReadAllText($"/proc/{child}/environ").Split('\0').Contains($"PMI_RANK={rank}")) return child;
                }
                catch (IOException) { }
                pending.Push(child);
            }
        }
        throw new InvalidOperationException($"no process of rank {rank} under mpiexec (pid {_process.Id})");
    }

    private void Append(string? line)
    {
        if (line is null) return;
        lock (_output) _output.AppendLine(line);
    }

    public void Dispose()
    {
        if (!_process.HasExited) _process.Kill(entireProcessTree: true);
        _process.Dispose();
    }
}
