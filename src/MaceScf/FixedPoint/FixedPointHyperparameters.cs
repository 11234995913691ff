using System.Text.Json.Serialization;
using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.Mace;

namespace MaceScf.FixedPoint;

/// <summary>
/// Every architecture hyper-parameter of the fixed-point SCF model (seed: "Architecture Hyperparameters").
/// </summary>
public sealed record FixedPointHyperparameters
{
    /// <summary>
    /// The MACE backbone; the model forces keep_last_layer_irreps and the (y, z, x) edge-harmonic order.
    /// </summary>
    public required MaceHyperparameters Mace { get; init; }

    /// <summary>Density basis, field features and boundary method.</summary>
    public ElectrostaticsOptions Electrostatics { get; init; } = new();

    /// <summary>
    /// --field_feature_norms resolved to numbers, one per (l, width) in the layout order [l·S + s]; null = all 1.
    /// </summary>
    public IReadOnlyList<double>? FieldFeatureNorms { get; init; }

    [JsonInclude]   // written to model files although internal
    internal FixedPointUpdateConfig UpdateConfig { get; init; } = new();

    [JsonInclude]   // written to model files although internal
    internal FieldReadoutConfig FieldReadoutConfig { get; init; } = new();

    /// <summary>
    /// --use_linear_local_charges: the scaled linear local-density block instead of the non-linear readout.
    /// </summary>
    public bool UseLinearLocalCharges { get; init; }

    /// --atom_density_scaling (linear local charges only); must be resolved (not "average") to build a model.
    [JsonInclude]   // written to model files although internal
    internal AtomDensityScaling AtomDensityScaling { get; init; } = AtomDensityScaling.None;

    /// <summary>--include_local_electron_energy.</summary>
    public bool IncludeLocalElectronEnergy { get; init; } = true;

    /// <summary>μ_off (--fermi_level_offset, else the training-set mean Fermi level), V.</summary>
    public double FermiLevelOffset { get; init; }

    /// <summary>The backbone as the fixed-point model uses it.</summary>
    public MaceHyperparameters ResolvedMace => Mace with { KeepLastLayerIrreps = true, EdgeVectorOrder = VectorOrder.Yzx };

    /// Irreps of the density coefficients: 1x0e+1x1o(+1x2e).
    internal Irreps ChargesIrreps => new(Enumerable.Range(0, Electrostatics.DensityMaxL + 1).Select(Irrep.SphericalHarmonic));

    /// Irreps of the field features: S x0e + S x1o (+ S x2e), the layout of docs/math.md, "Field features".
    internal Irreps PotentialIrreps => new(Enumerable.Range(0, Electrostatics.FieldFeatureMaxL + 1)
        .Select(l => new MulIrrep(Electrostatics.FieldFeatureWidths.Count, Irrep.SphericalHarmonic(l))));

    /// <summary>Checks the settings together.</summary>
    /// <exception cref="ArgumentException">describes the first invalid setting</exception>
    public void Validate()
    {
        ResolvedMace.Validate();
        Electrostatics.Validate();
        UpdateConfig.Validate();
        FieldReadoutConfig.Validate();
        var hidden = ResolvedMace.ResolveHiddenIrreps();
        if (hidden.UniformMultiplicity() is null)
            throw new ArgumentException($"hidden_irreps must have one multiplicity for all irreps, got '{hidden}'.");
        if (Irreps.Parse(Mace.MlpIrreps).Segments.Any(s => s.Ir != new Irrep(0, 1)))
            throw new ArgumentException($"MLP_irreps must contain only 0e, got '{Mace.MlpIrreps}'.");
        bool manyBody = UpdateConfig.Type == BlockNames.ManyBodyUpdate
            || FieldReadoutConfig.Type is BlockNames.ManyBodyChargesReadout or BlockNames.ManyBodyChargesFieldReadout;
        if (manyBody && Mace.MaxEll < 2)
            throw new ArgumentException("Many-body update and readout blocks use the edge harmonics up to l = 2: max_ell must be ≥ 2.");
        if (FieldFeatureNorms is not null && FieldFeatureNorms.Count != Electrostatics.FieldFeatureWidths.Count * (Electrostatics.FieldFeatureMaxL + 1))
            throw new ArgumentException($"field_feature_norms needs {Electrostatics.FieldFeatureWidths.Count * (Electrostatics.FieldFeatureMaxL + 1)} entries (widths × (max_l + 1)), got {FieldFeatureNorms.Count}.");
        if (FieldFeatureNorms is not null && FieldFeatureNorms.Any(n => !(n > 0)))
            throw new ArgumentException("field_feature_norms must be positive.");
        if (UseLinearLocalCharges && AtomDensityScaling.IsAverage)
            throw new ArgumentException("atom_density_scaling 'average' must be resolved from the training set before the model is built.");
    }
}
