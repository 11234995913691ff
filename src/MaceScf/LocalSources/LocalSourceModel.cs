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
/// and E = E0 + Σ_t Σ_i readout_t(h_i^t) + E_Coul[p] + E_ext·P. LocalCharges: p_i = Σ_t s_Z Linear_t(h_i^t) (one linear
/// source block per layer, charges and dipoles; the total charge is whatever the blocks give, trained with the
/// total_charge losses; the frame's total charge is not an input). FixedChargeBaselinedMACE: p_i = (q⁰_Z, 0, …), fixed per
/// species, so the total charge is Σ q⁰ of the composition. LocalSplitCharges: q_i = q⁰_i (per species, or per atom from the
/// inputs with formal_charges_from_data) + the net transfer of the
/// <see cref="ChargeTransferBlock"/>s (Σ q = Σ q⁰ exactly), P = Σ_i (d_i + q⁰_i r_i) + Σ_e τ_e r_e, well defined in a periodic
/// cell. MACEQEq: the charges equilibrate electronegativities χ_i = Σ_t readout_t(h_i^t) + E_ext·r_i and hardnesses J_i
/// at the frame's total charge (<see cref="ChargeEquilibration"/>), and E gains Σ_i (χ_i q_i + ½ J_i q_i²) without the field.
internal sealed class LocalSourceModel : nn.Module, IAtomisticModel
{
    private readonly MaceModel _backbone;
    private readonly ModuleList<LocalDensityBlock> _sources = new();
    private readonly ModuleList<ChargeTransferBlock> _transfers = new();
    private readonly ModuleList<Readout> _electronegativity = new();
    private readonly ModuleList<Readout> _hardness = new();
    private readonly ModuleList<PolarizabilityReadout> _polarizability = new();

    public LocalSourceModel(LocalSourceHyperparameters hyperparameters, ScalarType dtype = ScalarType.Float64) : base(nameof(LocalSourceModel))
    {
        hyperparameters.Validate();
        Hyperparameters = hyperparameters;
        Dtype = dtype;
        var mace = hyperparameters.ResolvedMace;
        _backbone = new MaceModel(mace, dtype) { ContractionsFirst = false };
        register_module("backbone", _backbone);
        switch (hyperparameters.Class)
        {
            case ModelClass.LocalCharges:
                var scales = hyperparameters.AtomDensityScaling.Resolve(mace.AtomicNumbers);
                foreach (var irreps in _backbone.LayerIrreps)
                    _sources.Add(new ScaledLinearLocalDensity(irreps, hyperparameters.ChargesIrreps, scales, dtype));
                register_module("local_density", _sources);
                break;
            case ModelClass.MACEQEq:
                AddLayerReadouts(_electronegativity, mace, dtype);
                register_module("enegs_readouts", _electronegativity);
                if (hyperparameters.TrainHardness)
                {
                    AddLayerReadouts(_hardness, mace, dtype);
                    register_module("hardness_readouts", _hardness);
                }
                break;
            default:
                if (!hyperparameters.FormalChargesFromData)
                    register_buffer("formal_charges", tensor(mace.AtomicNumbers.Select(z => hyperparameters.FormalCharges.GetValueOrDefault(z)).ToArray(),
                        dtype: dtype));
                if (hyperparameters.Class != ModelClass.LocalSplitCharges) break;
                foreach (var irreps in _backbone.LayerIrreps)
                    _transfers.Add(new ChargeTransferBlock(irreps, mace.EdgeAttrsIrreps(), _backbone.Radial.OutDim, hyperparameters.ChargesIrreps, dtype));
                register_module("local_density", _transfers);
                if (!hyperparameters.ComputePolarizability) break;
                foreach (var irreps in _backbone.LayerIrreps)
                {
                    if (!irreps.Segments.Any(s => s.Ir.L == 1))
                        throw new ArgumentException($"compute_polarizability needs 1o channels in every layer's features (hidden irreps), not {irreps}");
                    _polarizability.Add(new PolarizabilityReadout(irreps, dtype));
                }
                register_module("polarizability_readouts", _polarizability);
                break;
        }
    }

    /// A site readout per layer, as the backbone's energy readouts: linear, the last one non-linear.
    private void AddLayerReadouts(ModuleList<Readout> readouts, MaceHyperparameters mace, ScalarType dtype)
    {
        var layers = _backbone.LayerIrreps;
        for (int t = 0; t < layers.Count; t++)
            readouts.Add(t == layers.Count - 1 && layers.Count > 1
                ? new NonLinearReadout(layers[t], mace.MlpIrreps, mace.GateActivation(), dtype)
                : new LinearReadout(layers[t], dtype));
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

    /// Σ_t readout_t(h^t) [N].
    private static Tensor SumOfReadouts(ModuleList<Readout> readouts, MaceOutput output)
    {
        var sum = readouts[0].forward(output.NodeFeatures[0]);
        for (int t = 1; t < readouts.Count; t++) sum = sum.Plus(readouts[t].forward(output.NodeFeatures[t]));
        return sum;
    }

    /// What a class makes of a backbone pass: the multipoles [N, K], the polarisation P [G, 3] of the field term, the energy [G] of
    /// the charges' own terms (MACEQEq's Σ χq + ½Jq²; otherwise zero), and MACEQEq's χ and J [N].
    private sealed record ChargeSources(Tensor Density, Tensor Polarisation, Tensor SiteEnergy, Tensor? Electronegativity = null, Tensor? Hardness = null);

    private ChargeSources Sources(MaceOutput output, MaceInputs graph, SystemInputs inputs,
        ElectrostaticsPlan plan)
    {
        int k = Hyperparameters.Electrostatics.DensityCoefficientCount, structures = inputs.NumGraphs;
        var noSiteEnergy = zeros(structures, dtype: Dtype, device: graph.Positions.device);
        switch (Class)
        {
            case ModelClass.LocalCharges:
            {
                var nodeAttrs = nn.functional.one_hot(graph.Species, Hyperparameters.Mace.NumElements).to_type(Dtype);
                var density = _sources[0].forward(output.NodeFeatures[0], nodeAttrs);
                for (int t = 1; t < _sources.Count; t++) density = density.Plus(_sources[t].forward(output.NodeFeatures[t], nodeAttrs));
                return new(density, plan.TotalDipole(density), noSiteEnergy);
            }
            case ModelClass.FixedChargeBaselinedMACE:
            {
                var density = nn.functional.pad(FormalCharges(inputs).unsqueeze(1), [0, k - 1]);
                return new(density, plan.TotalDipole(density), noSiteEnergy);
            }
            case ModelClass.LocalSplitCharges:
            {
                var formal = FormalCharges(inputs);
                var (sender, receiver) = (graph.EdgeIndex[0], graph.EdgeIndex[1]);
                Tensor? density = null, transfers = null;
                for (int t = 0; t < _transfers.Count; t++)
                {
                    var (p, tau) = _transfers[t].forward(output.NodeFeatures[t], formal, output.EdgeAttributes, output.EdgeFeatures, sender, receiver);
                    density = density is null ? p : density.Plus(p);
                    transfers = transfers is null ? tau : transfers.Plus(tau);
                }
                density = density!.Plus(nn.functional.pad(formal.unsqueeze(1), [0, k - 1]));
                // P = Σ_i (d_i + q⁰_i r_i) + Σ_e τ_e r_e: each transfer moves τ_e from the sender to the receiver along r_e.
                var perAtom = formal.unsqueeze(1) * graph.Positions;
                if (k > 1) perAtom = perAtom.Plus(RealSpaceSum.CartesianDipoles(density));
                var edges = transfers!.unsqueeze(1) * output.EdgeVectors;
                var polarisation = GraphSum.Of(perAtom, graph.Batch, structures).Plus(GraphSum.Of(edges, graph.Batch.index_select(0, sender), structures));
                return new(density, polarisation, noSiteEnergy);
            }
            default:
            {
                var electronegativity = SumOfReadouts(_electronegativity, output);
                var hardness = (Hyperparameters.TrainHardness ? SumOfReadouts(_hardness, output) : zeros_like(electronegativity)).Plus(Hyperparameters.DefaultHardness);
                var external = inputs.ExternalField is { } f
                    ? (f.to_type(Dtype).index_select(0, graph.Batch) * graph.Positions).sum(1)
                    : zeros_like(electronegativity);
                var totalCharge = inputs.TotalCharge?.to_type(Dtype) ?? zeros(structures, dtype: Dtype, device: graph.Positions.device);
                var hessian = ChargeEquilibration.CoulombHessian(Hyperparameters.Electrostatics, graph.Positions, graph.Cell, inputs.Pbc, graph.Batch, structures);
                var charges = ChargeEquilibration.Solve(hessian, electronegativity.Plus(external), hardness, totalCharge, graph.Batch);
                var site = GraphSum.Of((electronegativity * charges).Plus(hardness.Times(0.5) * charges.Squared()), graph.Batch, structures);
                var density = nn.functional.pad(charges.unsqueeze(1), [0, k - 1]);
                return new(density, plan.TotalDipole(density), site, electronegativity.Plus(external), hardness);
            }
        }
    }

    /// The response tensors asked for: the polarizability α = Σ_i α_i [G, 3, 3] of the readouts (compute_polarizability) and
    /// the Born charges Z* = ∂P/∂r of the polarisation (<see cref="DipoleDerivatives"/>; differentiable again in training).
    private ResponseTensors Response(MaceOutput output, Tensor polarisation, Tensor positions, int structures, Tensor batch, PredictionRequest request)
    {
        Tensor? alpha = null;
        if (request.Polarizability)
        {
            if (_polarizability.Count == 0)
                throw new ArgumentException($"this {Class} model has no polarizability readout (train it with compute_polarizability true)");
            var perAtom = _polarizability[0].forward(output.NodeFeatures[0]);
            for (int t = 1; t < _polarizability.Count; t++) perAtom = perAtom.Plus(_polarizability[t].forward(output.NodeFeatures[t]));
            alpha = GraphSum.Of(perAtom.view(-1, 9), batch, structures).view(structures, 3, 3);
        }
        var born = request.BornCharges
            ? DipoleDerivatives.Of(polarisation, positions, null, createGraph: request.Training || request.CreateGraph).BornCharges : null;
        return new ResponseTensors(born, alpha, null, new string?[structures]);
    }

    /// [N] q⁰ of every atom: per element, or the inputs' per-atom formal charges (formal_charges_from_data).
    private Tensor FormalCharges(SystemInputs inputs)
    {
        if (!Hyperparameters.FormalChargesFromData) return get_buffer("formal_charges")!.index_select(0, inputs.Graph.Species);
        var q = inputs.FormalCharges ?? throw new ArgumentException(
            "this LocalSplitCharges model takes per-atom formal charges (formal_charges_from_data), and the inputs have none");
        return q.shape.SequenceEqual([inputs.NumAtoms]) ? q.to_type(Dtype)
            : throw new ArgumentException($"formal charges of shape [{string.Join(", ", q.shape)}] for {inputs.NumAtoms} atoms");
    }

    /// Energy with its terms (e0, local, coulomb, external_field, and MACEQEq's equilibration), forces and stress by the strain
    /// derivative, the density, its total charge and dipole (LocalSplitCharges: the polarisation). The SCF settings of the request
    /// do not apply.
    public Prediction Predict(SystemInputs inputs, PredictionRequest request)
    {
        using var scope = NewDisposeScope();
        if (request.BornCharges && Class == ModelClass.MACEQEq)
            throw new ArgumentException("Born charges of MACEQEq are not provided: its charges come from a solve whose Coulomb matrix is "
                + "held constant in the geometry (exact for the energy, not for ∂P/∂r)");
        var strain = new StrainDerivatives(inputs.Graph, Dtype, request.Forces || request.BornCharges, request.Stress);
        var graph = inputs.Graph.WithGeometry(strain.Positions, strain.Cell);
        var output = _backbone.forward(graph);
        using var plan = new ElectrostaticsPlan(Hyperparameters.Electrostatics, strain.Positions, strain.Cell, inputs.Pbc, graph.Batch);
        var sources = Sources(output, graph, inputs, plan);
        var (density, polarisation, site) = (sources.Density, sources.Polarisation, sources.SiteEnergy);
        var e0 = GraphSum.Of(output.NodeE0, graph.Batch, inputs.NumGraphs);
        var coulomb = plan.Energy(density);
        var field = inputs.ExternalField is { } f ? (polarisation * f.to_type(Dtype).reshape(inputs.NumGraphs, 3)).sum(1) : zeros_like(e0);
        var energy = e0.Plus(output.InteractionEnergy).Plus(coulomb).Plus(field).Plus(site);
        var response = request.Polarizability || request.BornCharges
            ? Response(output, polarisation, strain.UnstrainedPositions, inputs.NumGraphs, graph.Batch, request) : null;
        var (forces, virials, stress) = strain.Differentiate(energy, request.Training, request.CreateGraph);
        List<(string, Tensor)> terms = [("e0", e0), ("local", output.InteractionEnergy), ("coulomb", coulomb), ("external_field", field)];
        if (Class == ModelClass.MACEQEq) terms.Add(("equilibration", site));
        var prediction = new Prediction(energy, terms)
        {
            Forces = forces, Virials = virials, Stress = stress, Density = density, TotalCharge = plan.TotalCharge(density),
            Dipole = polarisation, Electronegativity = sources.Electronegativity, Hardness = sources.Hardness, Response = response,
        };
        foreach (var t in prediction.Tensors()) t.MoveToOuterDisposeScope();
        return prediction;
    }
}
