namespace MaceScf.ModelFiles;

/// What the header of every model file kind carries: its format name, the format version and the macescf that wrote it.
internal interface IModelFileHeader
{
    string Format { get; }

    int Version { get; }

    string LibraryVersion { get; }
}
