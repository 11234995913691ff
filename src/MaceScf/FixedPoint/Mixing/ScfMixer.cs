namespace MaceScf.FixedPoint;

/// <summary>
/// How the SCF combines a density with its image under the update map (`scf_mixer`, docs/fixed-point.md).
/// </summary>
public enum ScfMixer
{
    /// <summary>p ← p + α (F(p) − p) (the Python implementation's mixing).</summary>
    Linear,
    /// <summary>
    /// Anderson/Pulay (DIIS) acceleration of the linear step over the last anderson_depth iterates, with restarts and a fall-back
    /// to linear mixing (<see cref="AndersonMixer"/>).
    /// </summary>
    Anderson,
}

/// The option spelling of <see cref="ScfMixer"/>: linear | anderson.
internal static class ScfMixerNames
{
    public static ScfMixer Parse(string text) => text.Trim().ToLowerInvariant() switch
    {
        "linear" => ScfMixer.Linear,
        "anderson" => ScfMixer.Anderson,
        _ => throw new ArgumentException($"Unknown scf_mixer '{text}'. Valid values: linear, anderson."),
    };

    public static string Name(ScfMixer mixer) => mixer == ScfMixer.Linear ? "linear" : "anderson";
}
