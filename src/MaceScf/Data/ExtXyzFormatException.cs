namespace MaceScf.Data;

/// <summary>
/// Malformed extended-XYZ input. The message names the file, the zero-based frame index, the
/// one-based line number and what was expected there.
/// </summary>
public sealed class ExtXyzFormatException : FormatException
{
    /// <summary>An error at a frame and line of a file.</summary>
    /// <param name="fileName">the file read</param>
    /// <param name="frame">zero-based frame index</param>
    /// <param name="line">one-based line number</param>
    /// <param name="problem">what was expected there</param>
    public ExtXyzFormatException(string fileName, int frame, long line, string problem)
        : base($"{fileName}: frame {frame}, line {line}: {problem}")
    {
        FileName = fileName;
        Frame = frame;
        Line = line;
        Problem = problem;
    }

    /// <summary>The file that was read.</summary>
    public string FileName { get; }

    /// <summary>Zero-based frame index.</summary>
    public int Frame { get; }

    /// <summary>One-based line number.</summary>
    public long Line { get; }

    /// <summary>What was wrong, without the location.</summary>
    public string Problem { get; }
}

/// A parse problem found below the reader, which knows the location and rethrows it as
/// an <see cref="ExtXyzFormatException"/>.
internal sealed class ExtXyzSyntaxError(string problem) : Exception(problem);
