namespace MaceScf.Training;

/// Which layer set an option's value: defaults ← config file ← command line.
internal enum ValueSource
{
    Default,
    ConfigFile,
    CommandLine,
}
