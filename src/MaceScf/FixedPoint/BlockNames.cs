namespace MaceScf.FixedPoint;

/// The class names accepted in --fixedpoint_update_config and --field_readout_config (the seed's names).
internal static class BlockNames
{
    public const string OneBodyVariableUpdate = nameof(OneBodyVariableUpdate);
    public const string ManyBodyUpdate = nameof(ManyBodyUpdate);
    public static readonly IReadOnlyList<string> UpdateTypes = [OneBodyVariableUpdate, ManyBodyUpdate];

    public const string BiasedLinearPotentialEmbedding = nameof(BiasedLinearPotentialEmbedding);
    public const string LinearPotentialEmbedding = nameof(LinearPotentialEmbedding);
    public static readonly IReadOnlyList<string> PotentialEmbeddings = [BiasedLinearPotentialEmbedding, LinearPotentialEmbedding];

    public const string NoNonLinearity = nameof(NoNonLinearity);
    public const string MLPNonLinearity = nameof(MLPNonLinearity);
    public static readonly IReadOnlyList<string> Nonlinearities = [NoNonLinearity, MLPNonLinearity];

    public const string NullFieldReadout = nameof(NullFieldReadout);
    public const string StrictQuadraticFieldEnergyReadout = nameof(StrictQuadraticFieldEnergyReadout);
    public const string OneBodyMLPFieldReadout = nameof(OneBodyMLPFieldReadout);
    public const string ManyBodyChargesReadout = nameof(ManyBodyChargesReadout);
    public const string ManyBodyChargesFieldReadout = nameof(ManyBodyChargesFieldReadout);
    public static readonly IReadOnlyList<string> FieldReadouts =
        [NullFieldReadout, StrictQuadraticFieldEnergyReadout, OneBodyMLPFieldReadout, ManyBodyChargesReadout, ManyBodyChargesFieldReadout];

    /// Throws a clear error listing the valid names when <paramref name="name"/> is not one of them.
    public static string Check(string name, IReadOnlyList<string> valid, string what) =>
        valid.Contains(name)
            ? name
            : throw new ArgumentException($"Unknown {what} '{name}'. Valid names: {string.Join(", ", valid)}.");
}
