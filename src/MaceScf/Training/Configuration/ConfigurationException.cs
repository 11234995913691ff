namespace MaceScf.Training;

/// A mistake in the training configuration: where it is (config file with line and column, or
/// the command-line option), the key path inside it (e.g.
/// `train_schedule.1.fixed_point_training_options.scf.mixing_parameter`) and what is wrong.
public sealed class ConfigurationException(string source, long? line, long? column, string keyPath, string problem)
    : Exception(Format(source, line, column, keyPath, problem))
{
    /// The config file path, or `command line --name`.
    public string Origin { get; } = source;

    /// 1-based line in the config file, when known.
    public long? Line { get; } = line;

    /// 1-based column in the config file, when known.
    public long? Column { get; } = column;

    /// Dotted path of the offending key.
    public string KeyPath { get; } = keyPath;

    /// The problem without the location prefix.
    public string Problem { get; } = problem;

    private static string Format(string source, long? line, long? column, string keyPath, string problem)
    {
        string where = line is null ? source : $"{source}:{line}:{column}";
        return keyPath.Length == 0 ? $"{where}: {problem}" : $"{where}: {keyPath}: {problem}";
    }
}
