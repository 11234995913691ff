using MaceScf.ModelFiles;

namespace MaceScf.FixedPoint;

/// The header of a model file: everything needed to rebuild the model before its weights are read.
internal sealed record ModelFileHeader : IModelFileHeader
{
    public string Format { get; init; } = ModelFile.FormatName;

    public int Version { get; init; } = ModelFile.FormatVersion;

    public string LibraryVersion { get; init; } = MaceScf.Version.Text;

    public string Dtype { get; init; } = "float64";

    /// The species table: atomic numbers in one-hot order.
    public IReadOnlyList<int> AtomicNumbers { get; init; } = [];

    /// The model class (`macescf train --model`).
    public string ModelClass { get; init; } = nameof(Models.ModelClass.FixedPoint);

    public required FixedPointHyperparameters Hyperparameters { get; init; }
}

/// <summary>
/// One file holding a fixed-point model: the <see cref="ModelContainer"/> with format "macescf-fixedpoint-model" (format
/// version, every hyper-parameter, the species table) and the TorchSharp state dict.
/// </summary>
public static class ModelFile
{
    internal const string FormatName = "macescf-fixedpoint-model";
    internal const int FormatVersion = 1;

    /// <summary>Writes the model (hyper-parameters and weights with their checksum) to <paramref name="path"/>.</summary>
    public static void Save(FixedPointModel model, string path) => ModelContainer.Save(path, new ModelFileHeader
    {
        Hyperparameters = model.Hyperparameters,
        AtomicNumbers = model.Hyperparameters.Mace.AtomicNumbers,
        Dtype = ModelDtype.Name(model.Dtype),
    }, model);

    /// Reads only the header (e.g. to describe a model).
    internal static ModelFileHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(reader, path);
    }

    /// <summary>
    /// Rebuilds the model and loads its weights. A file that is not a model, is truncated or corrupt, or was written by an
    /// incompatible version gives an <see cref="InvalidDataException"/> that says which.
    /// </summary>
    public static FixedPointModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var header = ReadHeader(reader, path);
        var dtype = ModelDtype.Parse(header.Dtype, path);
        return ModelContainer.Build(reader, path, () => new FixedPointModel(header.Hyperparameters, dtype));
    }

    private static ModelFileHeader ReadHeader(BinaryReader reader, string path)
    {
        var header = ModelContainer.ReadHeader<ModelFileHeader>(reader, path, FormatName, FormatVersion);
        if (!header.AtomicNumbers.SequenceEqual(header.Hyperparameters.Mace.AtomicNumbers))
            throw new InvalidDataException($"'{path}': the species table does not match the hyper-parameters.");
        return header;
    }
}
