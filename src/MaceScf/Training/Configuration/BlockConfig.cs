namespace MaceScf.Training;

/// `--fixedpoint_update_config` / `--field_readout_config`: a block class chosen by `type`, class
/// names for its parts (keys ending in `_cls`) and further constructor arguments, in the order
/// given. Argument values are int (long), float (double), bool or text.
internal sealed record BlockConfig(string Type, IReadOnlyList<KeyValuePair<string, object>> Arguments)
{
    /// The value of a `_cls` key or other argument, or null when absent.
    public object? this[string key] => Arguments.FirstOrDefault(a => a.Key == key).Value;

    /// `{type: OneBodyVariableUpdate, potential_embedding_cls: BiasedLinearPotentialEmbedding, nonlinearity_cls: NoNonLinearity}`.
    public static BlockConfig DefaultUpdate { get; } = new("OneBodyVariableUpdate",
    [
        new("potential_embedding_cls", "BiasedLinearPotentialEmbedding"),
        new("nonlinearity_cls", "NoNonLinearity"),
    ]);

    /// `{type: StrictQuadraticFieldEnergyReadout}`.
    public static BlockConfig DefaultReadout { get; } = new("StrictQuadraticFieldEnergyReadout", []);
}
