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

    private FoundationModel(string path, ModelFileKind kind, MaceModel backbone, IDisposable owner)
    {
        Path = path;
        Kind = kind;
        Backbone = backbone;
        _owner = owner;
        using var stream = File.OpenRead(path);
        Sha256 = Convert.ToHexStringLower(SHA256.HashData(stream));
    }

    /// Full path of the file.
    public string Path { get; }

    public ModelFileKind Kind { get; }

    /// Lower-case hex SHA-256 of the file.
    public string Sha256 { get; }

    /// The backbone with the file's weights (for a fixed-point model file, its MACE backbone).
    public MaceModel Backbone { get; }

    public MaceHyperparameters Hyperparameters => Backbone.Hyperparameters;

    /// Reads the file; errors name it and say what is wrong.
    public static FoundationModel Load(string path)
    {
        var full = System.IO.Path.GetFullPath(path);
        var kind = ModelFileKinds.Detect(full);
        switch (kind)
        {
            case ModelFileKind.PythonMace:
                var imported = PythonMaceFile.Load(full);
                return new FoundationModel(full, kind, imported.Model, imported);
            case ModelFileKind.Mace:
                var mace = MaceModelFile.Load(full);
                return new FoundationModel(full, kind, mace, mace);
            default:
                var fixedPoint = ModelFile.Load(full);
                return new FoundationModel(full, kind, fixedPoint.Backbone, fixedPoint);
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
