namespace MaceScf.Synthetic;

/// A family of structures `macescf synth --system NAME` can generate.
internal interface ISyntheticSystem
{
    /// Name on the command line and the frames' config_type.
    string Name { get; }

    /// One line for --help.
    string Description { get; }

    /// A new random structure with the system's default field and electron constraint; every
    /// random number comes from <paramref name="random"/>, so a seed fixes the sequence.
    SyntheticStructure Generate(Random random);
}
