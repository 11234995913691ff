namespace MaceScf.MaceImport;

/// A Python MACE model file that cannot be read or is not supported; the message names the file and, where it applies, the
/// module path (e.g. `interactions.1.conv_tp`) and what to do.
internal sealed class MaceImportException : Exception
{
    public MaceImportException(string message) : base(message) { }

    public MaceImportException(string message, Exception inner) : base(message, inner) { }
}
