using System.Security.Cryptography;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.MaceImport;
using MaceScf.ModelFiles;

namespace MaceScf.FineTuning;

/// A foundation model for fine-tuning (`foundation_model`): the MACE backbone of a Python MACE `.model` file, of a macescf
/// MACE model file, or of a macescf fixed-point model file, told apart by content. Owns what it loaded.
internal sealed class FoundationModel : IDisposable
{
    private readonly IDisposable _owner;

    private FoundationModel(string path, ModelFileKind kind, MaceModel backbone, IDisposable owner, bool hasScaleShift)
    {
        Path = path;
        Kind = kind;
        Backbone = backbone;
        HasScaleShift = hasScaleShift;
        _owner = owner;
        using var stream = File.OpenRead(path);
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// Whether a Python class name ("mace.modules.models.ScaleShiftMACE") is MACE's ScaleShiftMACE.
    private static bool IsScaleShift(string pythonClass) => pythonClass.Split('.')[^1] == "ScaleShiftMACE";

    /// Full path of the file.
    public string Path { get; }

    public ModelFileKind Kind { get; }

    /// Lower-case hex SHA-256 of the file.
    public string Sha256 { get; }

    /// The backbone with the file's weights (for a fixed-point model file, its MACE backbone).
    public MaceModel Backbone { get; }

    public MaceHyperparameters Hyperparameters => Backbone.Hyperparameters;

    /// Whether the foundation has MACE's `scale_shift` (a Python ScaleShiftMACE, or a model trained here, whose scale and shift
    /// are always set); false for a Python model of class MACE (none: scale 1, shift 0), also after `macescf convert`.
    public bool HasScaleShift { get; }

    /// Reads the file; errors name it and say what is wrong.
    public static FoundationModel Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var kind = ModelFileKinds.Detect(full);
        switch (kind)
        {
            case ModelFileKind.PythonMace:
                var imported = PythonMaceFile.Load(full);
                return new FoundationModel(full, kind, imported.Model, imported, IsScaleShift(imported.Provenance.PythonClass));
            case ModelFileKind.Mace:
                var source = MaceModelFile.ReadHeader(full).Source;
                var mace = MaceModelFile.Load(full);
                return new FoundationModel(full, kind, mace, mace, source is null || IsScaleShift(source.PythonClass));
            default:
                var fixedPoint = ModelFile.Load(full);
                return new FoundationModel(full, kind, fixedPoint.Backbone, fixedPoint, true);
        }
    }

    /// "'PATH' (Python MACE .model file, SHA-256 …)".
    public string Describe() => $"'{Path}' ({Kind switch
    {
        ModelFileKind.PythonMace => "Python MACE .model file",
        ModelFileKind.Mace => "macescf MACE model file",
        _ => "backbone of a macescf fixed-point model file",
    }}, SHA-256 {Sha256})";

    public void Dispose() => _owner.Dispose();
}
