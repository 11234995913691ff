using MaceScf.ModelFiles;

namespace MaceScf.LocalSources;

/// The header of a local-source model file: the class and every hyper-parameter.
internal sealed record LocalSourceModelFileHeader : IModelFileHeader
{
    public string Format { get; init; } = LocalSourceModelFile.FormatName;

    public int Version { get; init; } = LocalSourceModelFile.FormatVersion;

    public string LibraryVersion { get; init; } = MaceScf.Version.Text;

    public string Dtype { get; init; } = "float64";

    /// The model class (`macescf train --model`): LocalCharges, LocalSplitCharges, FixedChargeBaselinedMACE or MACEQEq.
    public string ModelClass { get; init; } = "";

    /// The species table: atomic numbers in one-hot order.
    public IReadOnlyList<int> AtomicNumbers { get; init; } = [];

    public required LocalSourceHyperparameters Hyperparameters { get; init; }
}

/// One file holding a local-source model: the <see cref="ModelContainer"/> with format "macescf-local-source-model".
internal static class LocalSourceModelFile
{
    public const string FormatName = "macescf-local-source-model";
    public const int FormatVersion = 1;

    public static void Save(LocalSourceModel model, string path) => ModelContainer.Save(path, new LocalSourceModelFileHeader
    {
        ModelClass = model.Class.ToString(),
        Hyperparameters = model.Hyperparameters,
        AtomicNumbers = model.Hyperparameters.Mace.AtomicNumbers,
        Dtype = ModelDtype.Name(model.Dtype),
    }, model);

    public static LocalSourceModelFileHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        return ReadHeader(reader, path);
    }

    /// Rebuilds the model and loads its weights; errors are <see cref="InvalidDataException"/>s that say what is wrong.
    public static LocalSourceModel Load(string path)
    {
        using var stream = File.OpenRead(path);
        using var reader = new BinaryReader(stream);
        var header = ReadHeader(reader, path);
        return ModelContainer.Build(reader, path, () => new LocalSourceModel(header.Hyperparameters, ModelDtype.Parse(header.Dtype, path)));
    }

    private static LocalSourceModelFileHeader ReadHeader(BinaryReader reader, string path)
    {
        var header = ModelContainer.ReadHeader<LocalSourceModelFileHeader>(reader, path, FormatName, FormatVersion);
        if (!header.AtomicNumbers.SequenceEqual(header.Hyperparameters.Mace.AtomicNumbers))
            throw new InvalidDataException($"'{path}': the species table does not match the hyper-parameters.");
        if (header.ModelClass != header.Hyperparameters.Class.ToString())
            throw new InvalidDataException($"'{path}': the header's class '{header.ModelClass}' does not match the hyper-parameters' {header.Hyperparameters.Class}.");
        return header;
    }
}
