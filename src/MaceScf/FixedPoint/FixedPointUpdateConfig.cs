namespace MaceScf.FixedPoint;

/// --fixedpoint_update_config: the update rule U and its parts. A null embedding means the type's default
/// (BiasedLinearPotentialEmbedding for OneBodyVariableUpdate, LinearPotentialEmbedding for ManyBodyUpdate; docs/math.md, "The fixed-point map").
internal sealed record FixedPointUpdateConfig
{
    public string Type { get; init; } = BlockNames.OneBodyVariableUpdate;

    public string? PotentialEmbeddingCls { get; init; }

    public string NonlinearityCls { get; init; } = BlockNames.NoNonLinearity;

    public string ResolvedPotentialEmbedding =>
        PotentialEmbeddingCls ?? (Type == BlockNames.ManyBodyUpdate ? BlockNames.LinearPotentialEmbedding : BlockNames.BiasedLinearPotentialEmbedding);

    public void Validate()
    {
        BlockNames.Check(Type, BlockNames.UpdateTypes, "fixedpoint update type");
        BlockNames.Check(ResolvedPotentialEmbedding, BlockNames.PotentialEmbeddings, "potential_embedding_cls");
        BlockNames.Check(NonlinearityCls, BlockNames.Nonlinearities, "nonlinearity_cls");
    }

    /// From "{'type': 'ManyBodyUpdate', 'nonlinearity_cls': 'MLPNonLinearity'}" (JSON or Python dict).
    public static FixedPointUpdateConfig Parse(string text) => FromDictionary(ConfigDictionary.Parse(text));

    public static FixedPointUpdateConfig FromDictionary(IReadOnlyDictionary<string, string> values)
    {
        ConfigDictionary.CheckKeys(values, ["type", "potential_embedding_cls", "nonlinearity_cls"], "fixedpoint_update_config");
        var config = new FixedPointUpdateConfig
        {
            Type = values.GetValueOrDefault("type") ?? BlockNames.OneBodyVariableUpdate,
            PotentialEmbeddingCls = values.GetValueOrDefault("potential_embedding_cls"),
            NonlinearityCls = values.GetValueOrDefault("nonlinearity_cls") ?? BlockNames.NoNonLinearity,
        };
        config.Validate();
        return config;
    }
}

/// --field_readout_config: the local electron-energy readout (docs/math.md, "The fixed-point map").
internal sealed record FieldReadoutConfig
{
    public string Type { get; init; } = BlockNames.StrictQuadraticFieldEnergyReadout;

    public void Validate() => BlockNames.Check(Type, BlockNames.FieldReadouts, "field readout type");

    public static FieldReadoutConfig Parse(string text) => FromDictionary(ConfigDictionary.Parse(text));

    public static FieldReadoutConfig FromDictionary(IReadOnlyDictionary<string, string> values)
    {
        ConfigDictionary.CheckKeys(values, ["type"], "field_readout_config");
        var config = new FieldReadoutConfig { Type = values.GetValueOrDefault("type") ?? BlockNames.StrictQuadraticFieldEnergyReadout };
        config.Validate();
        return config;
    }
}
