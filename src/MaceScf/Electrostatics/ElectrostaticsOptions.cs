namespace MaceScf.Electrostatics;

/// <summary>Settings of the Gaussian-multipole electrostatics. Defaults follow the Python command line.</summary>
public sealed record ElectrostaticsOptions
{
    /// <summary>Largest angular order supported by the Gaussian basis (quadrupoles).</summary>
    public const int MaxSupportedL = 2;

    /// <summary>`--atomic_multipoles_smearing_width` σ in Å, shared by all atoms.</summary>
    public double SmearingWidth { get; init; } = 1.5;

    /// <summary>`--atomic_multipoles_max_l`: the density has (L+1)² coefficients per atom.</summary>
    public int DensityMaxL { get; init; } = 1;

    /// <summary>`--field_feature_widths` in Å.</summary>
    public IReadOnlyList<double> FieldFeatureWidths { get; init; } = [1.0, 2.0];

    /// <summary>`--field_feature_max_l`.</summary>
    public int FieldFeatureMaxL { get; init; } = 1;

    /// <summary>
    /// `--kspace_cutoff_factor`: k_c = factor × 2.25 (max_l+1)^0.3 / σ_min (docs/math.md, "Reciprocal-space sums").
    /// </summary>
    public double KspaceCutoffFactor { get; init; } = 1.25;

    /// <summary>
    /// `--kspace_method`: direct reciprocal sum (ewald), particle-mesh Ewald (pme), or by size (auto).
    /// </summary>
    public KspaceMethod KspaceMethod { get; init; } = KspaceMethod.Auto;

    /// <summary>
    /// `--electrostatics_accuracy`: target relative RMS error of forces and field features of the
    /// particle mesh, from which its spline order and grid spacing are chosen (<see cref="MeshParameters"/>).
    /// </summary>
    public double ElectrostaticsAccuracy { get; init; } = 1e-6;

    /// <summary>`--electrostatic_pbc_method`.</summary>
    public BoundaryMethod Method { get; init; } = BoundaryMethod.MixedPeriodic;

    /// <summary>`--include_electrostatic_self_interaction`: the energy keeps each Gaussian's self-energy.</summary>
    public bool IncludeSelfInteraction { get; init; } = true;

    /// <summary>`--include_field_si`: an atom's own density contributes to its own field features.</summary>
    public bool IncludeFieldSelfInteraction { get; init; }

    /// <summary>Coefficients per atom, (L+1)².</summary>
    public int DensityCoefficientCount => (DensityMaxL + 1) * (DensityMaxL + 1);

    /// <summary>Features per atom, S (Lf+1)².</summary>
    public int FieldFeatureCount => FieldFeatureWidths.Count * (FieldFeatureMaxL + 1) * (FieldFeatureMaxL + 1);

    /// <summary>
    /// Heuristic cutoff 0.75·3·(L+1)^0.3/σ_min before the factor (docs/math.md, "Reciprocal-space sums").
    /// </summary>
    public double HeuristicKspaceCutoff
    {
        get
        {
            double sigmaMin = FieldFeatureWidths.Append(SmearingWidth).Min();
            int maxL = Math.Max(DensityMaxL, FieldFeatureMaxL);
            return 0.75 * 3.0 * Math.Pow(maxL + 1, 0.3) / sigmaMin;
        }
    }

    /// <summary>Reciprocal-space cutoff k_c in Å⁻¹.</summary>
    public double KspaceCutoff => KspaceCutoffFactor * HeuristicKspaceCutoff;

    /// <summary>Throws an <see cref="ArgumentException"/> describing the first invalid setting.</summary>
    public void Validate()
    {
        if (!(SmearingWidth > 0)) throw new ArgumentException($"smearing width must be positive, got {SmearingWidth}");
        if (DensityMaxL < 0 || DensityMaxL > MaxSupportedL)
            throw new ArgumentException($"density max l must be in 0..{MaxSupportedL}, got {DensityMaxL}");
        if (FieldFeatureMaxL < 0 || FieldFeatureMaxL > MaxSupportedL)
            throw new ArgumentException($"field feature max l must be in 0..{MaxSupportedL}, got {FieldFeatureMaxL}");
        if (FieldFeatureWidths.Count == 0) throw new ArgumentException("at least one field feature width is needed");
        if (FieldFeatureWidths.Any(w => !(w > 0)))
            throw new ArgumentException($"field feature widths must be positive, got [{string.Join(", ", FieldFeatureWidths)}]");
        if (!(ElectrostaticsAccuracy > 0 && ElectrostaticsAccuracy <= 0.1))
            throw new ArgumentException($"electrostatics accuracy must be in (0, 0.1], got {ElectrostaticsAccuracy}");
        if (!(KspaceCutoffFactor > 0)) throw new ArgumentException($"kspace cutoff factor must be positive, got {KspaceCutoffFactor}");
    }
}
