using System.Text.Json;

namespace MaceScf.Training;

/// The options a checkpoint was written with (`options.json` in the checkpoint folder, one YAML text per option), and
/// their comparison with those of a run that resumes from it (docs/training.md, "Checkpoints and restart"). A restart may
/// extend the schedule (the last stage's end and max_num_epochs) and switch restart_latest / restart_accept_changes;
/// any other difference is reported.
internal static class CheckpointOptions
{
    public const string FileName = "options.json";

    static readonly HashSet<Option> Free = [TrainingOptions.RestartLatest, TrainingOptions.RestartAcceptChanges, TrainingOptions.MaxNumEpochs];

    public static void Write(string folder, TrainingConfig config) =>
        File.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(Comparable(config)));

    /// `name: checkpoint value → this run's value` for every option that differs; a checkpoint without the file (written by
    /// an older version) gives one line saying the options cannot be compared.
    public static IReadOnlyList<string> Differences(string folder, TrainingConfig config)
    {
        string path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) return [$"unknown: '{path}' is missing (a checkpoint of an older version), so the options cannot be compared"];
        var saved = JsonSerializer.Deserialize<Dictionary<string, string>>(File.ReadAllText(path)) ?? [];
        var now = Comparable(config);
        return now.Keys.Union(saved.Keys)
            .Where(k => now.GetValueOrDefault(k) != saved.GetValueOrDefault(k))
            .Select(k => k == TrainingOptions.TrainSchedule.Name
                ? $"{k} (beyond the last stage's end): {saved.GetValueOrDefault(k) ?? "absent"} → {now.GetValueOrDefault(k) ?? "absent"}"
                : $"{k}: {saved.GetValueOrDefault(k) ?? "absent"} → {now.GetValueOrDefault(k) ?? "absent"}")
            .ToList();
    }

    /// Every compared option's value as one line of YAML; the schedule with its last end left out.
    static Dictionary<string, string> Comparable(TrainingConfig config) => TrainingOptions.All.Where(o => !Free.Contains(o)).ToDictionary(
        o => o.Name,
        o => o == TrainingOptions.TrainSchedule ? YamlText.Inline(o.Write(WithoutLastEnd(config.Schedule))) : config.ValueOf(o).Text);

    static TrainSchedule WithoutLastEnd(TrainSchedule schedule) =>
        new([.. schedule.Stages.Take(schedule.Stages.Count - 1), schedule.Stages[^1] with { End = -1 }]);
}
