namespace MaceScf.Training;

/// <summary>
/// A mistake in the training configuration: where it is (config file with line and column, or
/// the command-line option), the key path inside it (e.g.
/// `train_schedule.1.fixed_point_training_options.scf.mixing_parameter`) and what is wrong.
/// </summary>
public sealed class ConfigurationException(string source, long? line, long? column, string keyPath, string problem)
    : Exception(Format(source, line, column, keyPath, problem))
{
    /// <summary>The config file path, or `command line --name`.</summary>
    public string Origin { get; } = source;

    /// <summary>1-based line in the config file, when known.</summary>
    public long? Line { get; } = line;

    /// <summary>1-based column in the config file, when known.</summary>
    public long? Column { get; } = column;

    /// <summary>Dotted path of the offending key.</summary>
    public string KeyPath { get; } = keyPath;

    /// <summary>The problem without the location prefix.</summary>
    public string Problem { get; } = problem;

    private static string Format(string source, long? line, long? column, string keyPath, string problem)
    {
        string where = line is null ? source : $"{source}:{line}:{column}";
        return keyPath.Length == 0 ? $"{where}: {problem}" : $"{where}: {keyPath}: {problem}";
    }
}
