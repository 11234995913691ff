using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Mace;
using MaceScf.MaceImport;

namespace MaceScf.ModelFiles;

/// The kinds of model file the command-line tools accept.
internal enum ModelFileKind
{
    /// A fixed-point SCF model written by macescf (<see cref="ModelFile"/>).
    FixedPoint,

    /// A plain MACE / ScaleShiftMACE model written by macescf (<see cref="MaceModelFile"/>).
    Mace,

    /// A local-source model (LocalCharges, LocalSplitCharges, FixedChargeBaselinedMACE, MACEQEq) written by macescf (<see cref="LocalSourceModelFile"/>).
    LocalSource,

    /// A Python MACE `.model` file (torch.save zip archive), read by <see cref="PythonMaceFile"/>.
    PythonMace,
}

/// Tells the kind of a model file by its content, not its name.
internal static class ModelFileKinds
{
    public static ModelFileKind Detect(string path)
    {
        if (!File.Exists(path)) throw new FileNotFoundException($"model file '{path}' not found", path);
        if (ModelContainer.IsModelFile(path))
            return ModelContainer.ReadFormat(path) switch
            {
                ModelFile.FormatName => ModelFileKind.FixedPoint,
                MaceModelFile.FormatName => ModelFileKind.Mace,
                LocalSourceModelFile.FormatName => ModelFileKind.LocalSource,
                var other => throw new InvalidDataException($"'{path}': unknown model format '{other}'."),
            };
        if (PythonMaceFile.IsTorchArchive(path)) return ModelFileKind.PythonMace;
        throw new InvalidDataException($"'{path}' is not a macescf model file, nor a Python MACE .model file (a torch.save zip archive).");
    }

    /// A plain MACE model from a macescf MACE model file or a Python `.model` file; refuses a fixed-point model.
    public static MaceModel LoadMace(string path) => Detect(path) switch
    {
        ModelFileKind.Mace => MaceModelFile.Load(path),
        ModelFileKind.PythonMace => PythonMaceFile.Load(path).Model,
        var kind => throw new InvalidDataException($"'{path}' is a {(kind == ModelFileKind.FixedPoint ? "fixed-point" : "local-source")} model, not a plain MACE model."),
    };
}
