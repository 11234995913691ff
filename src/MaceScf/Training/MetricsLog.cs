using System.Text.Json;
using System.Text.Json.Serialization;

namespace MaceScf.Training;

/// The JSON-lines metrics file in results_dir: one object per epoch (docs/training.md, "Outputs").
internal sealed class MetricsLog(string path)
{
    private static readonly JsonSerializerOptions Json = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower, NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public void Append(EpochReport r)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        var line = new
        {
            r.Epoch, r.Stage, r.StageName, Mode = r.Mode.ToString(), r.Lr, r.TrainLoss, r.TrainLossTerms, r.ValidLoss, r.Rmse,
            r.ScfSteps, r.ScfConverged, r.Fallbacks, Time = r.Seconds, TrainCpuTime = r.TrainCpuSeconds, Ranks = r.Ranks?.Count, RankImbalance = r.Ranks?.Imbalance,
            CommunicationTime = r.Ranks?.CommunicationSeconds, r.Inference, r.InferenceWarning,
        };
        File.AppendAllText(path, JsonSerializer.Serialize(line, Json) + "\n");
    }

    /// The lines written so far.
    public static IReadOnlyList<JsonElement> Read(string path) =>
        File.ReadLines(path).Where(l => l.Length > 0).Select(l => JsonDocument.Parse(l).RootElement.Clone()).ToList();
}
