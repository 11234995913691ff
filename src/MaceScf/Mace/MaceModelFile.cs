using MaceScf.MaceImport;
using MaceScf.ModelFiles;
using MaceScf.Models;

namespace MaceScf.Mace;

/// The header of a plain MACE model file: the hyper-parameters and, for a model converted from a Python `.model` file,
/// where it came from.
internal sealed record MaceModelFileHeader : IModelFileHeader
{
    public string Format { get; init; } = MaceModelFile.FormatName;

    public int Version { get; init; } = MaceModelFile.FormatVersion;

    public string LibraryVersion { get; init; } = MaceScf.Version.Text;

    public string Dtype { get; init; } = "float64";

    /// The species table: atomic numbers in one-hot order.
    public IReadOnlyList<int> AtomicNumbers { get; init; } = [];

    public required MaceHyperparameters Hyperparameters { get; init; }

    /// The class `macescf train` built (MACE or ScaleShiftMACE), or null for a file written by `macescf convert`.
    public string? ModelClass { get; init; }

    /// The Python file the weights were converted from, or null for a model built here.
    public MaceProvenance? Source { get; init; }
}

/// <summary>
/// One file holding a plain MACE (or ScaleShiftMACE) model: the <see cref="ModelContainer"/> with format
/// "macescf-mace-model" and the state dict of <see cref="MaceModel"/>.
/// </summary>
public static class MaceModelFile
{
    internal const string FormatName = "macescf-mace-model";
    internal const int FormatVersion = 1;

    internal static void Save(MaceModel model, string path, MaceProvenance? source = null, ModelClass? modelClass = null) =>
        ModelContainer.Save(path, new MaceModelFileHeader
    {
        ModelClass = modelClass?.ToString(),
        Hyperparameters = model.Hyperparameters,
        AtomicNumbers = model.Hyperparameters.AtomicNumbers,
        Dtype = ModelDtype.Name(model.Dtype),
        Source = source,
    }, model);

    internal static MaceModelFileHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(reader, path);
    }

    /// <summary>
    /// Rebuilds the model and loads its weights; errors are <see cref="InvalidDataException"/>s that say what is wrong.
    /// </summary>
    public static MaceModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var header = ReadHeader(reader, path);
        return ModelContainer.Build(reader, path, () => new MaceModel(header.Hyperparameters, ModelDtype.Parse(header.Dtype, path)));
    }

    private static MaceModelFileHeader ReadHeader(BinaryReader reader, string path)
    {
        var header = ModelContainer.ReadHeader<MaceModelFileHeader>(reader, path, FormatName, FormatVersion);
        if (!header.AtomicNumbers.SequenceEqual(header.Hyperparameters.AtomicNumbers))
            throw new InvalidDataException($"'{path}': the species table does not match the hyper-parameters.");
        return header;
    }
}
