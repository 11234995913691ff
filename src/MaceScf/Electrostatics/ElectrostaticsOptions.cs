namespace MaceScf.Electrostatics;

/// Settings of the Gaussian-multipole electrostatics. Defaults follow the Python command line.
public sealed record ElectrostaticsOptions
{
    /// Largest angular order supported by the Gaussian basis (quadrupoles).
    public const int MaxSupportedL = 2;

    /// `--atomic_multipoles_smearing_width` σ in Å, shared by all atoms.
    public double SmearingWidth { get; init; } = 1.5;

    /// `--atomic_multipoles_max_l`: the density has (L+1)² coefficients per atom.
    public int DensityMaxL { get; init; } = 1;

    /// `--field_feature_widths` in Å.
    public IReadOnlyList<double> FieldFeatureWidths { get; init; } = [1.0, 2.0];

    /// `--field_feature_max_l`.
    public int FieldFeatureMaxL { get; init; } = 1;

    /// `--kspace_cutoff_factor`: k_c = factor × 2.25 (max_l+1)^0.3 / σ_min (docs/math.md, "Reciprocal-space sums").
    public double KspaceCutoffFactor { get; init; } = 1.25;

    /// `--kspace_method`: direct reciprocal sum (ewald), particle-mesh Ewald (pme), or by size (auto).
    public KspaceMethod KspaceMethod { get; init; } = KspaceMethod.Auto;

    /// `--electrostatics_accuracy`: target relative RMS error of forces and field features of the
    /// particle mesh, from which its spline order and grid spacing are chosen (<see cref="MeshParameters"/>).
    public double ElectrostaticsAccuracy { get; init; } = 1e-6;

    /// `--electrostatic_pbc_method`.
    public BoundaryMethod Method { get; init; } = BoundaryMethod.MixedPeriodic;

    /// `--include_electrostatic_self_interaction`: the energy keeps each Gaussian's self-energy.
    public bool IncludeSelfInteraction { get; init; } = true;

    /// `--include_field_si`: an atom's own density contributes to its own field features.
    public bool IncludeFieldSelfInteraction { get; init; }

    /// Coefficients per atom, (L+1)².
    public int DensityCoefficientCount => (DensityMaxL + 1) * (DensityMaxL + 1);

    /// Features per atom, S (Lf+1)².
    public int FieldFeatureCount => FieldFeatureWidths.Count * (FieldFeatureMaxL + 1) * (FieldFeatureMaxL + 1);

    /// Heuristic cutoff 0.75·3·(L+1)^0.3/σ_min before the factor (docs/math.md, "Reciprocal-space sums").
    public double HeuristicKspaceCutoff
    {
        get
        {
            double sigmaMin = FieldFeatureWidths.Append(SmearingWidth).Min();
            int maxL = Math.Max(DensityMaxL, FieldFeatureMaxL);
            return 0.75 * 3.0 * Math.Pow(maxL + 1, 0.3) / sigmaMin;
        }
    }

    /// Reciprocal-space cutoff k_c in Å⁻¹.
    public double KspaceCutoff => KspaceCutoffFactor * HeuristicKspaceCutoff;

    /// Throws an <see cref="ArgumentException"/> describing the first invalid setting.
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
