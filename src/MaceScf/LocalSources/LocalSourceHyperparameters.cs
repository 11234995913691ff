using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;

namespace MaceScf.LocalSources;

/// The hyper-parameters of a local-source model (docs/training.md, "Model classes"): the MACE backbone, the density basis
/// and boundary method, and what makes the multipoles: a linear source block per layer (LocalCharges) or fixed charges per
/// species (FixedChargeBaselinedMACE).
internal sealed record LocalSourceHyperparameters
{
    /// LocalCharges or FixedChargeBaselinedMACE.
    public required ModelClass Class { get; init; }

    /// The backbone; the model keeps every layer's full hidden irreps and the (y, z, x) edge-harmonic order, as the
    /// fixed-point model does.
    public required MaceHyperparameters Mace { get; init; }

    /// Density basis and boundary method (field features are not used).
    public ElectrostaticsOptions Electrostatics { get; init; } = new();

    /// --atom_density_scaling of the source blocks (resolved; 1 for every element by default).
    public AtomDensityScaling AtomDensityScaling { get; init; } = AtomDensityScaling.None;

    /// --atomic_formal_charges {Z: q} of FixedChargeBaselinedMACE (elements not listed: 0).
    public IReadOnlyDictionary<int, double> FormalCharges { get; init; } = new Dictionary<int, double>();

    /// The backbone as the local-source models use it.
    public MaceHyperparameters ResolvedMace => Mace with { KeepLastLayerIrreps = true, EdgeVectorOrder = VectorOrder.Yzx };

    /// Irreps of the density coefficients: 1x0e+1x1o(+1x2e).
    public Irreps ChargesIrreps => new(Enumerable.Range(0, Electrostatics.DensityMaxL + 1).Select(Irrep.SphericalHarmonic));

    public void Validate()
    {
        if (Class is not (ModelClass.LocalCharges or ModelClass.FixedChargeBaselinedMACE))
            throw new ArgumentException($"{Class} is not a local-source class of this model.");
        ResolvedMace.Validate();
        Electrostatics.Validate();
        if (AtomDensityScaling.IsAverage)
            throw new ArgumentException("atom_density_scaling 'average' must be resolved from the training set before the model is built.");
        if (FormalCharges.Values.Any(q => !double.IsFinite(q))) throw new ArgumentException("atomic_formal_charges must be finite.");
    }
}
