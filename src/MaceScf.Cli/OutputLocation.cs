namespace MaceScf.Cli;

/// Checks, before any work, that an output file can be written: its folder exists and accepts a new file, and the path is
/// not a folder. A failure is an <see cref="IOException"/> naming the path and what to do.
internal static class OutputLocation
{
    public static void RequireWritable(string path, string option = "-o")
    {
        string full = Path.GetFullPath(path);
        if (Directory.Exists(full)) throw new IOException($"{option} '{path}' is a folder; give a file name");
        string folder = Path.GetDirectoryName(full)!;
        if (!Directory.Exists(folder)) throw new IOException($"{option} '{path}': the folder '{folder}' does not exist; create it or choose another path");
        string probe = Path.Combine(folder, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.probe");
        try
        {
            using (new FileStream(probe, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1, FileOptions.DeleteOnClose))
            {
            }
        }
        catch (Exception e) when (e is UnauthorizedAccessException or IOException)
        {
            throw new IOException($"{option} '{path}': cannot write in the folder '{folder}' ({e.Message}); choose a writable location", e);
        }
        finally
        {
            if (File.Exists(probe)) File.Delete(probe);
        }
    }
}
