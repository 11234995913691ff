using YamlDotNet.RepresentationModel;

namespace MaceScf.Training;

/// Writes a <see cref="TrainingConfig"/> as config.yaml text: every option, in registry order,
/// with absolute paths, so that the text loads back to the same values from any folder.
internal static class ConfigRenderer
{
    public static string Render(TrainingConfig config)
    {
        var root = new YamlMappingNode();
        foreach (var value in config.Values)
            root.Add(Scalars.Plain(value.Option.Name), value.Option.Write(value.Value));
        return YamlText.Document(root);
    }
}
