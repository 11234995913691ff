using System.Security.Cryptography;
using MaceScf.Equivariant;
using MaceScf.Mace;
using static TorchSharp.torch;

namespace MaceScf.MaceImport;

/// Where an imported model came from: the file, its SHA-256, the Python class and the recorded versions.
/// <param name="SourcePath">full path of the Python `.model` file</param>
/// <param name="Sha256">lower-case hex SHA-256 of the file</param>
/// <param name="PythonClass">e.g. `mace.modules.models.ScaleShiftMACE`</param>
/// <param name="MaceVersion">the MACE version if the file records one, else null</param>
/// <param name="ArchiveVersion">the torch.save archive format version (the archive's `version` entry)</param>
internal sealed record MaceProvenance(string SourcePath, string Sha256, string PythonClass, string? MaceVersion, string? ArchiveVersion);

/// One state-dict entry of the Python model and what the import did with it.
/// <param name="PythonName">the Python state-dict key, e.g. `node_embedding.linear.weight`</param>
/// <param name="Shape">its shape</param>
/// <param name="Target">our parameter or buffer it was copied into, or null when it was checked instead</param>
/// <param name="Use">how it was used: copied, a hyper-parameter, or checked against our constant</param>
internal sealed record MaceParameterMapping(string PythonName, long[] Shape, string? Target, string Use);

/// A Python MACE model read from its `.model` file: our <see cref="MaceModel"/> with the file's weights, the recovered
/// hyper-parameters, the mapping of every state-dict entry and the provenance. Owns the model.
internal sealed class PythonMaceModel : IDisposable
{
    internal PythonMaceModel(MaceModel model, MaceProvenance provenance, IReadOnlyList<MaceParameterMapping> mapping)
    {
        Model = model;
        Provenance = provenance;
        Mapping = mapping;
    }

    public MaceModel Model { get; }

    public MaceHyperparameters Hyperparameters => Model.Hyperparameters;

    public MaceProvenance Provenance { get; }

    public IReadOnlyList<MaceParameterMapping> Mapping { get; }

    public void Dispose() => Model.Dispose();
}

/// Reads Python MACE `.model` files (torch.save of a whole `mace.modules.models.MACE` or `ScaleShiftMACE`): recovers the
/// hyper-parameters from the module tree, builds our model and copies every parameter and buffer (docs/mace-import.md).
/// Anything this backbone does not implement is refused with the module path, never approximated.
internal static class PythonMaceFile
{
    /// Whether <paramref name="path"/> is a torch.save zip archive (by content, not by name).
    public static bool IsTorchArchive(string path) => TorchArchive.LooksLikeTorchSave(path);

    /// Reads the file and builds the model in float64.
    public static PythonMaceModel Load(string path)
    {
        var full = Path.GetFullPath(path);
        var archive = TorchArchive.Read(full);
        if (archive.Root is not PickledObject rootObject)
            throw new MaceImportException(archive.Root is System.Collections.IDictionary
                ? $"'{full}' holds a dictionary (a state dict or checkpoint), not a pickled MACE model; save the whole model with torch.save(model, path)."
                : $"'{full}' holds a {archive.Root?.GetType().Name ?? "None"}, not a pickled MACE model.");
        if (rootObject.ClassName is not ("mace.modules.models.MACE" or "mace.modules.models.ScaleShiftMACE"))
            throw new MaceImportException(
                $"'{full}': the pickled object is a {rootObject.ClassName}; supported are mace.modules.models.MACE and ScaleShiftMACE.");
        var root = new TorchModuleNode(rootObject, "", full);
        var hyper = MaceTreeReader.Hyperparameters(root);
        var model = new MaceModel(hyper);
        try
        {
            var mapping = MaceTreeReader.CopyWeights(root, model);
            var provenance = new MaceProvenance(full, Sha256(full), root.ClassName, MaceTreeReader.RecordedVersion(root), archive.FormatVersion);
            return new PythonMaceModel(model, provenance, mapping);
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    private static string Sha256(string path)
    {
        using var stream = File.OpenRead(path);
        return Convert.ToHexStringLower(SHA256.HashData(stream));
    }
}
