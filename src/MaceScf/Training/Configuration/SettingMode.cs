namespace MaceScf.Training;

/// How a per-element or per-feature quantity is obtained.
internal enum SettingMode
{
    /// Not set: the neutral value (E0s absent, scales 1, norms 1).
    None,
    /// Estimated from the training set.
    Average,
    /// Given explicitly in the configuration.
    Explicit,
    /// Read from a JSON file (E0s only).
    File,
    /// The foundation model's (E0s with foundation_model only).
    Foundation,
}
