using System.Text.Json.Serialization;
using MaceScf.Equivariant;

namespace MaceScf.Mace;

/// <summary>
/// Architecture of the MACE backbone. Property names follow the command-line flags of the Python implementation
/// (`--r_max` → RMax, …) and the defaults are theirs (docs/mace.md, "Hyper-parameters (`MaceHyperparameters`)").
/// </summary>
public sealed record MaceHyperparameters
{
    /// <summary>Atomic numbers of the model's elements, sorted ascending (the one-hot order, "z_table").</summary>
    public required IReadOnlyList<int> AtomicNumbers { get; init; }

    /// <summary>--r_max: cutoff radius (Å) of the graph and the radial basis.</summary>
    public double RMax { get; init; } = 5.0;

    /// <summary>--num_bessel (--num_radial_basis): number of Bessel functions.</summary>
    public int NumBessel { get; init; } = 8;

    /// <summary>--num_polynomial_cutoff (--num_cutoff_basis): order p of the polynomial envelope.</summary>
    public int NumPolynomialCutoff { get; init; } = 5;

    /// <summary>--max_ell: highest degree of the edge spherical harmonics.</summary>
    public int MaxEll { get; init; } = 3;

    /// <summary>
    /// --hidden_irreps, e.g. "128x0e+128x1o"; used when NumChannels and MaxL are not both set. Default "128x0e+128x1o".
    /// </summary>
    public string? HiddenIrreps { get; init; }

    /// <summary>
    /// --num_channels (with --max_L): hidden_irreps = num_channels × (0e+1o+…+max_L), overriding HiddenIrreps.
    /// </summary>
    public int? NumChannels { get; init; }

    /// <summary>--max_L (with --num_channels).</summary>
    public int? MaxL { get; init; }

    /// <summary>--correlation: body order − 1 of the product basis.</summary>
    public int Correlation { get; init; } = 3;

    /// <summary>--num_interactions: number of message-passing layers.</summary>
    public int NumInteractions { get; init; } = 2;

    /// <summary>--MLP_irreps: hidden irreps of the last (non-linear) readout; scalars only.</summary>
    public string MlpIrreps { get; init; } = "16x0e";

    /// <summary>--radial_MLP: hidden widths of the radial MLP.</summary>
    public IReadOnlyList<int> RadialMlp { get; init; } = [64, 64, 64];

    /// <summary>--interaction: class of the interaction blocks after the first.</summary>
    public string Interaction { get; init; } = InteractionKinds.Residual;

    /// <summary>--interaction_first: class of the first interaction block.</summary>
    public string InteractionFirst { get; init; } = InteractionKinds.Residual;

    /// <summary>--avg_num_neighbors: the aggregated messages are divided by this number.</summary>
    public double AvgNumNeighbors { get; init; } = 1.0;

    /// <summary>--E0s: isolated-atom energies by atomic number; elements not listed (or null) get 0.</summary>
    public IReadOnlyDictionary<int, double>? E0s { get; init; }

    /// <summary>
    /// ScaleShiftMACE's atomic_inter_scale: the summed readouts of every node are multiplied by this factor (1 for MACE).
    /// </summary>
    public double AtomicInterScale { get; init; } = 1.0;

    /// <summary>
    /// ScaleShiftMACE's atomic_inter_shift: added to every node's scaled interaction energy (0 for MACE).
    /// </summary>
    public double AtomicInterShift { get; init; }

    /// <summary>--gate: activation of the non-linear readout (silu, tanh or abs).</summary>
    public string Gate { get; init; } = "silu";

    /// <summary>
    /// Keep the full hidden irreps in the last layer (the fixed-point model); false gives MACE's scalar-only last layer.
    /// </summary>
    public bool KeepLastLayerIrreps { get; init; }

    /// Component order of the edge vectors fed to the spherical harmonics: Xyz for MACE, Yzx for the fixed-point model.
    [JsonInclude]   // written to model files although internal
    internal VectorOrder EdgeVectorOrder { get; init; } = VectorOrder.Xyz;

    /// <summary>Number of elements.</summary>
    public int NumElements => AtomicNumbers.Count;

    /// The hidden irreps after applying the --num_channels/--max_L override; all multiplicities must be equal.
    internal Irreps ResolveHiddenIrreps()
    {
        Irreps hidden = NumChannels is { } c && MaxL is { } l
            ? Irreps.SphericalHarmonics(l).WithMultiplicity(c).Sort().Sorted.Simplify()
            : Irreps.Parse(HiddenIrreps ?? "128x0e+128x1o");
        if (hidden.UniformMultiplicity() is null) throw new ArgumentException($"All multiplicities of hidden_irreps '{hidden}' must be equal.");
        if (hidden.Count == 0 || hidden[0].Ir != new Irrep(0, 1)) throw new ArgumentException($"hidden_irreps '{hidden}' must start with 0e.");
        return hidden;
    }

    /// Irreps of the edge spherical harmonics, 0e+1o+…+max_ell.
    internal Irreps EdgeAttrsIrreps() => Irreps.SphericalHarmonics(MaxEll);

    /// <summary>E0 per element in one-hot order.</summary>
    public double[] AtomicEnergies() =>
        AtomicNumbers.Select(z => E0s is not null && E0s.TryGetValue(z, out var e) ? e : 0.0).ToArray();

    /// The normalised activation named by Gate.
    internal NormalizedActivation GateActivation() => Gate.ToLowerInvariant() switch
    {
        "silu" => NormalizedActivation.Silu(),
        "tanh" => NormalizedActivation.Tanh(),
        "abs" => new NormalizedActivation(x => x.abs()),
        _ => throw new ArgumentException($"Unknown gate '{Gate}'."),
    };

    /// <summary>Throws on inconsistent settings.</summary>
    public void Validate()
    {
        if (AtomicNumbers.Count == 0) throw new ArgumentException("At least one element is needed.");
        if (!AtomicNumbers.Zip(AtomicNumbers.Skip(1)).All(p => p.First < p.Second))
            throw new ArgumentException("AtomicNumbers must be strictly increasing.");
        if (NumInteractions < 1) throw new ArgumentException("num_interactions must be ≥ 1.");
        if (Correlation < 1) throw new ArgumentException("correlation must be ≥ 1.");
        if (MaxEll < 0) throw new ArgumentException("max_ell must be ≥ 0.");
        if (!double.IsFinite(AtomicInterScale) || !double.IsFinite(AtomicInterShift)) throw new ArgumentException("scale and shift must be finite.");
        if (RadialMlp.Any(w => w < 1)) throw new ArgumentException("radial_MLP widths must be positive.");
        if (!InteractionKinds.IsKnown(Interaction)) throw new ArgumentException($"Unknown interaction '{Interaction}'.");
        if (!InteractionKinds.IsKnown(InteractionFirst)) throw new ArgumentException($"Unknown interaction_first '{InteractionFirst}'.");
        ResolveHiddenIrreps();
    }
}
