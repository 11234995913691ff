namespace MaceScf.Training;

/// An exclusive lock on a run: `{tag}.lock` in work_dir, held open with an operating-system file lock for the whole run, and
/// `{tag}.lock.pid` beside it with the owner's process id (.NET refuses to read a file it locks). A second run of the same tag fails at once naming that process; the operating system
/// releases the lock when its process ends, however it ends, so a lock file left by a killed run never blocks.
internal sealed class RunLock : IDisposable
{
    private readonly FileStream _stream;

    private RunLock(FileStream stream, string path)
    {
        _stream = stream;
        Path = path;
    }

    /// The lock file.
    public string Path { get; }

    /// Takes the lock of <paramref name="tag"/> in <paramref name="folder"/> (created if missing), or throws an
    /// <see cref="InvalidOperationException"/> naming the process that holds it.
    public static RunLock Acquire(string folder, string tag)
    {
        Directory.CreateDirectory(folder);
        string path = System.IO.Path.Combine(folder, $"{tag}.lock");
        FileStream stream;
        try
        {
            stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            throw new InvalidOperationException($"run '{tag}' in '{folder}' is in use by another macescf train ({Holder(path)}; lock file "
                + $"'{path}'). Wait for it to finish, or give this run another name, seed or work_dir.");
        }
        File.WriteAllText(path + ".pid", Environment.ProcessId.ToString(System.Globalization.CultureInfo.InvariantCulture));
        return new RunLock(stream, path);
    }

    /// Removes the lock files while still holding the lock (so no other run can take a file that is about to vanish), then
    /// releases it.
    public void Dispose()
    {
        try
        {
            File.Delete(Path + ".pid");
            File.Delete(Path);
        }
        catch (IOException)
        {
        }
        _stream.Dispose();
    }

    private static string Holder(string path)
    {
        try
        {
            return int.TryParse(File.ReadAllText(path + ".pid").Trim(), out int pid) ? $"PID {pid}" : "process id unknown";
        }
        catch (IOException)
        {
            return "process id unknown";
        }
    }
}
