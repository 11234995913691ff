using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.LocalSources;

/// A one-shot local-source model (docs/math.md, "Local-source models"): the multipoles p are predicted once, without an SCF,
/// and E = E0 + Σ_t Σ_i readout_t(h_i^t) + E_Coul[p] + E_ext·P[p]. LocalCharges: p_i = Σ_t s_Z Linear_t(h_i^t) (one linear
/// source block per layer, charges and dipoles; the total charge is whatever the blocks give, trained with the
/// total_charge losses; the frame's total charge is not an input). FixedChargeBaselinedMACE: p_i = (q⁰_Z, 0, …), fixed per
/// species, so the total charge is Σ q⁰ of the composition.
internal sealed class LocalSourceModel : nn.Module, IAtomisticModel
{
    private readonly MaceModel _backbone;
    private readonly ModuleList<LocalDensityBlock> _sources = new();

    public LocalSourceModel(LocalSourceHyperparameters hyperparameters, ScalarType dtype = ScalarType.Float64) : base(nameof(LocalSourceModel))
    {
        hyperparameters.Validate();
        Hyperparameters = hyperparameters;
        Dtype = dtype;
        var mace = hyperparameters.ResolvedMace;
        _backbone = new MaceModel(mace, dtype);
        register_module("backbone", _backbone);
        if (hyperparameters.Class == ModelClass.LocalCharges)
        {
            var scales = hyperparameters.AtomDensityScaling.Resolve(mace.AtomicNumbers);
            foreach (var irreps in _backbone.LayerIrreps)
                _sources.Add(new ScaledLinearLocalDensity(irreps, hyperparameters.ChargesIrreps, scales, dtype));
            register_module("local_density", _sources);
        }
        else
        {
            register_buffer("formal_charges", tensor(mace.AtomicNumbers.Select(z => hyperparameters.FormalCharges.GetValueOrDefault(z)).ToArray(),
                dtype: dtype));
        }
    }

    public LocalSourceHyperparameters Hyperparameters { get; private set; }

    public ModelClass Class => Hyperparameters.Class;

    public ScalarType Dtype { get; }

    public MaceModel Backbone => _backbone;

    public long ParameterCount => parameters().Sum(p => p.numel());

    double IAtomisticModel.Cutoff => Hyperparameters.Mace.RMax;

    IReadOnlyList<int> IAtomisticModel.AtomicNumbers => Hyperparameters.Mace.AtomicNumbers;

    /// Sets how the periodic electrostatics are evaluated (numerical settings, not trained parameters).
    public void UseKspace(KspaceMethod method, double accuracy) =>
        Hyperparameters = Hyperparameters with
        {
            Electrostatics = Hyperparameters.Electrostatics with { KspaceMethod = method, ElectrostaticsAccuracy = accuracy },
        };

    /// Fixes the parameters for inference (forces and stress still differentiate the positions).
    public LocalSourceModel Freeze()
    {
        foreach (var p in parameters()) p.requires_grad_(false);
        return this;
    }

    /// The multipoles [N, K] of a backbone pass.
    private Tensor Density(MaceOutput output, Tensor species)
    {
        int k = Hyperparameters.Electrostatics.DensityCoefficientCount;
        if (Class == ModelClass.FixedChargeBaselinedMACE)
        {
            var charges = get_buffer("formal_charges")!.index_select(0, species).unsqueeze(1);
            return nn.functional.pad(charges, [0, k - 1]);
        }
        var nodeAttrs = nn.functional.one_hot(species, Hyperparameters.Mace.NumElements).to_type(Dtype);
        var density = _sources[0].forward(output.NodeFeatures[0], nodeAttrs);
        for (int t = 1; t < _sources.Count; t++) density = density + _sources[t].forward(output.NodeFeatures[t], nodeAttrs);
        return density;
    }

    /// Energy with its terms (e0, local, coulomb, external_field), forces and stress by the strain derivative, the density,
    /// its total charge and dipole. The SCF settings of the request do not apply.
    public Prediction Predict(SystemInputs inputs, PredictionRequest request)
    {
        using var scope = NewDisposeScope();
        var strain = new StrainDerivatives(inputs.Graph, Dtype, request.Forces, request.Stress);
        var graph = inputs.Graph.WithGeometry(strain.Positions, strain.Cell);
        var output = _backbone.forward(graph);
        var density = Density(output, graph.Species);
        using var plan = new ElectrostaticsPlan(Hyperparameters.Electrostatics, strain.Positions, strain.Cell, inputs.Pbc, graph.Batch);
        var e0 = GraphSum.Of(output.NodeE0, graph.Batch, inputs.NumGraphs);
        var coulomb = plan.Energy(density);
        var field = inputs.ExternalField is { } f ? plan.ExternalFieldEnergy(density, f.to_type(Dtype)) : zeros_like(e0);
        var energy = e0 + output.InteractionEnergy + coulomb + field;
        var (forces, virials, stress) = strain.Differentiate(energy, request.Training, request.CreateGraph);
        var prediction = new Prediction(energy, [("e0", e0), ("local", output.InteractionEnergy), ("coulomb", coulomb), ("external_field", field)])
        {
            Forces = forces, Virials = virials, Stress = stress, Density = density, TotalCharge = plan.TotalCharge(density),
            Dipole = plan.TotalDipole(density),
        };
        foreach (var t in prediction.Tensors()) t.MoveToOuterDisposeScope();
        return prediction;
    }
}
