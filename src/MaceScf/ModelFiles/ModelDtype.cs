using static TorchSharp.torch;

namespace MaceScf.ModelFiles;

/// The `dtype` field of a model header.
internal static class ModelDtype
{
    public static ScalarType Parse(string text, string path) => text switch
    {
        "float64" => ScalarType.Float64,
        "float32" => ScalarType.Float32,
        _ => throw new InvalidDataException($"'{path}': unsupported dtype '{text}'."),
    };

    public static string Name(ScalarType dtype) => dtype.ToString().ToLowerInvariant();
}
