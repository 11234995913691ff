using MaceScf.Electrostatics;
using MaceScf.Equivariant;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;

namespace MaceScf.LocalSources;

/// The hyper-parameters of a local-source model (docs/training.md, "Model classes"): the MACE backbone, the density basis
/// and boundary method, and what makes the multipoles: a linear source block per layer (LocalCharges), fixed charges per
/// species (FixedChargeBaselinedMACE), formal charges plus transfers on the edges (LocalSplitCharges) or charge equilibration
/// (MACEQEq).
internal sealed record LocalSourceHyperparameters
{
    /// LocalCharges, FixedChargeBaselinedMACE, LocalSplitCharges or MACEQEq.
    public required ModelClass Class { get; init; }

    /// The backbone; the model keeps every layer's full hidden irreps and the (y, z, x) edge-harmonic order, as the
    /// fixed-point model does.
    public required MaceHyperparameters Mace { get; init; }

    /// Density basis and boundary method (field features are not used).
    public ElectrostaticsOptions Electrostatics { get; init; } = new();

    /// --atom_density_scaling of the source blocks (resolved; 1 for every element by default).
    public AtomDensityScaling AtomDensityScaling { get; init; } = AtomDensityScaling.None;

    /// --atomic_formal_charges {Z: q} of FixedChargeBaselinedMACE and LocalSplitCharges (elements not listed: 0).
    public IReadOnlyDictionary<int, double> FormalCharges { get; init; } = new Dictionary<int, double>();

    /// --formal_charges_from_data of LocalSplitCharges: the formal charges are an input per atom (<see cref="SystemInputs.FormalCharges"/>,
    /// the arrays key mapped to charges) instead of <see cref="FormalCharges"/> per element.
    public bool FormalChargesFromData { get; init; }

    /// --compute_polarizability of LocalSplitCharges: a local polarizability readout per layer (<see cref="PolarizabilityReadout"/>).
    public bool ComputePolarizability { get; init; }

    /// --train_hardness of MACEQEq: the hardness is the default plus a readout of every layer (else the default alone).
    public bool TrainHardness { get; init; }

    /// --default_hardness J₀ of MACEQEq (V/e).
    public double DefaultHardness { get; init; } = 2.0;

    /// The backbone as the local-source models use it.
    public MaceHyperparameters ResolvedMace => Mace with { KeepLastLayerIrreps = true, EdgeVectorOrder = VectorOrder.Yzx };

    /// Irreps of the density coefficients: 1x0e+1x1o(+1x2e).
    public Irreps ChargesIrreps => new(Enumerable.Range(0, Electrostatics.DensityMaxL + 1).Select(Irrep.SphericalHarmonic));

    public void Validate()
    {
        if (Class is not (ModelClass.LocalCharges or ModelClass.FixedChargeBaselinedMACE or ModelClass.LocalSplitCharges or ModelClass.MACEQEq))
            throw new ArgumentException($"{Class} is not a local-source class of this model.");
        ResolvedMace.Validate();
        Electrostatics.Validate();
        if (AtomDensityScaling.IsAverage)
            throw new ArgumentException("atom_density_scaling 'average' must be resolved from the training set before the model is built.");
        if (FormalCharges.Values.Any(q => !double.IsFinite(q))) throw new ArgumentException("atomic_formal_charges must be finite.");
        if (ComputePolarizability && Class != ModelClass.LocalSplitCharges)
            throw new ArgumentException($"compute_polarizability applies to LocalSplitCharges only, not {Class}.");
        if (FormalChargesFromData && Class != ModelClass.LocalSplitCharges)
            throw new ArgumentException($"formal_charges_from_data applies to LocalSplitCharges only, not {Class}.");
        if (!double.IsFinite(DefaultHardness)) throw new ArgumentException("default_hardness must be finite.");
    }
}
