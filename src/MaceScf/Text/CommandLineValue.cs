namespace MaceScf.Text;

/// One `--name value` of the command line (name normalised to underscores; Text null for a bare `--flag`).
internal sealed record CommandLineValue(string Name, string? Text);
