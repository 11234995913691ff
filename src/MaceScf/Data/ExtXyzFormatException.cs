namespace MaceScf.Data;

/// Malformed extended-XYZ input. The message names the file, the zero-based frame index, the
/// one-based line number and what was expected there.
public sealed class ExtXyzFormatException : FormatException
{
    public ExtXyzFormatException(string fileName, int frame, long line, string problem)
        : base($"{fileName}: frame {frame}, line {line}: {problem}")
    {
        FileName = fileName;
        Frame = frame;
        Line = line;
        Problem = problem;
    }

    public string FileName { get; }

    /// Zero-based frame index.
    public int Frame { get; }

    /// One-based line number.
    public long Line { get; }

    /// What was wrong, without the location.
    public string Problem { get; }
}

/// A parse problem found below the reader, which knows the location and rethrows it as
/// an <see cref="ExtXyzFormatException"/>.
internal sealed class ExtXyzSyntaxError(string problem) : Exception(problem);
