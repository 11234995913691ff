using MaceScf.Electrostatics;
using MaceScf.Mace;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The fixed-point SCF electrostatic MACE model ("FixedPointCore"): MACE backbone → p_local, h_mix, layer energies;
/// SCF p = F(p) = p_local + U(V̂(p)); E = E0 + local energies + local electron energy + E_Coul[p] + E·P[p] (docs/math.md, "Energy").
public sealed class FixedPointModel : nn.Module
{
    private readonly MaceModel _backbone;
    private readonly ModuleList<LocalDensityBlock> _localDensity = new();
    private readonly MultiLayerFeatureMixer _mixer;
    private readonly FixedPointUpdate _update;
    private readonly FieldReadout _readout;

    public FixedPointModel(FixedPointHyperparameters hyperparameters, ScalarType dtype = ScalarType.Float64) : base(nameof(FixedPointModel))
    {
        hyperparameters.Validate();
        Hyperparameters = hyperparameters;
        Dtype = dtype;
        var mace = hyperparameters.ResolvedMace;
        var hidden = mace.ResolveHiddenIrreps();
        _backbone = new MaceModel(mace, dtype);
        var charges = hyperparameters.ChargesIrreps;
        double[] scales = hyperparameters.UseLinearLocalCharges ? hyperparameters.AtomDensityScaling.Resolve(mace.AtomicNumbers) : [];
        foreach (var irreps in _backbone.LayerIrreps)
            _localDensity.Add(hyperparameters.UseLinearLocalCharges
                ? new ScaledLinearLocalDensity(irreps, charges, scales, dtype)
                : new NonLinearLocalDensity(irreps, mace.MlpIrreps, charges, mace.GateActivation(), dtype));
        _mixer = new MultiLayerFeatureMixer(_backbone.LayerIrreps, hidden, dtype);
        _update = FixedPointUpdate.Create(hyperparameters, dtype);
        _readout = FieldReadout.Create(hyperparameters, dtype);
        var layout = new FieldFeatureLayout(hyperparameters.Electrostatics);
        var norms = hyperparameters.FieldFeatureNorms is null ? FieldFeatureNorms.Unit(layout) : new FieldFeatureNorms(layout, hyperparameters.FieldFeatureNorms);
        register_module("backbone", _backbone);
        register_module("local_density", _localDensity);
        register_module("feature_mixer", _mixer);
        register_module("update", _update);
        register_module("field_readout", _readout);
        register_buffer("field_feature_norms", norms.PerFeature(dtype, CPU));
    }

    public FixedPointHyperparameters Hyperparameters { get; private set; }

    /// Sets how the periodic electrostatics are evaluated (`kspace_method`, `electrostatics_accuracy`): numerical
    /// settings, not trained parameters, so a model may be evaluated with other values than it was trained with.
    public void UseKspace(KspaceMethod method, double accuracy) =>
        Hyperparameters = Hyperparameters with
        {
            Electrostatics = Hyperparameters.Electrostatics with { KspaceMethod = method, ElectrostaticsAccuracy = accuracy },
        };

    public ScalarType Dtype { get; }

    public MaceModel Backbone => _backbone;

    public FixedPointUpdate Update => _update;

    public FieldReadout Readout => _readout;

    public long ParameterCount => parameters().Sum(p => p.numel());

    /// The per-geometry state (backbone, p_local, h_mix, electrostatics plan, external-field features): computed once per
    /// geometry, then every SCF step only runs the update rule and one field evaluation. Dispose it after use.
    public FixedPointGeometry Prepare(FixedPointInputs inputs)
    {
        using var scope = NewDisposeScope();
        var graph = inputs.Graph;
        var positions = graph.Positions.to_type(Dtype);
        var output = _backbone.forward(graph with { Positions = positions, Cell = graph.Cell.to_type(Dtype) });
        var nodeAttrs = nn.functional.one_hot(graph.Species, Hyperparameters.Mace.NumElements).to_type(Dtype);
        var pLocal = _localDensity[0].forward(output.NodeFeatures[0], nodeAttrs);
        for (int t = 1; t < _localDensity.Count; t++) pLocal = pLocal + _localDensity[t].forward(output.NodeFeatures[t], nodeAttrs);
        var edgeAttrs = output.EdgeAttributes.narrow(1, 0, Math.Min(9, output.EdgeAttributes.shape[1]));
        var context = new UpdateContext(nodeAttrs, _mixer.forward(output.NodeFeatures), output.NodeFeatures[^1], edgeAttrs,
            output.EdgeFeatures, graph.EdgeIndex[0], graph.EdgeIndex[1]);
        var plan = new ElectrostaticsPlan(Hyperparameters.Electrostatics, positions, graph.Cell.to_type(Dtype), inputs.Pbc, graph.Batch);
        var field = inputs.ExternalField?.to_type(Dtype);
        var external = plan.ExternalFeatures(field);
        var norms = get_buffer("field_feature_norms")!;
        foreach (var t in output.NodeFeatures.Concat(output.NodeEnergies)) t.MoveToOuterDisposeScope();
        foreach (var t in new[] { output.NodeE0, output.NodeEnergy, output.InteractionEnergy, output.Energy, output.EdgeAttributes,
                     output.EdgeFeatures, output.EdgeVectors, nodeAttrs, context.HMix, edgeAttrs, context.Sender, context.Receiver, pLocal, external })
            t.MoveToOuterDisposeScope();
        field?.MoveToOuterDisposeScope();
        return new FixedPointGeometry(_update, output, context, pLocal, plan, external, norms, Hyperparameters.FermiLevelOffset,
            graph.Batch, graph.NumGraphs, field);
    }

    /// The SCF starting point chosen by the options: (density [N, K], Fermi level [G], target charge [G]).
    public (Tensor Density, Tensor FermiLevel, Tensor TargetCharge) InitialState(FixedPointGeometry geometry, FixedPointInputs inputs, ScfOptions options)
    {
        var density = options.InitialDensity switch
        {
            // Reference multipoles may carry higher orders than the model: keep the model's (L+1)² columns.
            InitialDensity.FromData => (inputs.Density ?? throw new ArgumentException("initial_density from_data needs atomic multipoles in the data."))
                .to_type(Dtype).narrow(1, 0, Hyperparameters.Electrostatics.DensityCoefficientCount),
            InitialDensity.Zero => zeros_like(geometry.LocalDensity),
            _ => geometry.LocalDensity,
        };
        // from_data without a Fermi level in the data starts, like zero, at μ_off.
        var offset = full(inputs.NumGraphs, Hyperparameters.FermiLevelOffset, dtype: Dtype);
        var fermi = options.InitialFermiLevel == InitialFermiLevel.FromData && inputs.FermiLevel is not null
            ? inputs.FermiLevel.to_type(Dtype)
            : offset;
        var charge = inputs.TotalCharge?.to_type(Dtype) ?? zeros(inputs.NumGraphs, dtype: Dtype);
        return (density, fermi, charge);
    }

    /// Energy terms of a final density p at Fermi level μ (features V̂ of that density).
    public FixedPointEnergyTerms Energy(FixedPointGeometry geometry, Tensor density, Tensor features)
    {
        using var scope = NewDisposeScope();
        var batch = geometry.Batch;
        Tensor GraphSum(Tensor x) => zeros(geometry.NumGraphs, dtype: x.dtype, device: x.device).index_add(0, batch, x, 1.0);
        var e0 = GraphSum(geometry.Backbone.NodeE0);
        var local = geometry.Backbone.InteractionEnergy;
        var electron = Hyperparameters.IncludeLocalElectronEnergy
            ? GraphSum(_readout.forward(geometry.Context, density, geometry.LocalDensity, features))
            : zeros_like(e0);
        var coulomb = geometry.Plan.Energy(density);
        var field = geometry.ExternalField is null ? zeros_like(e0) : geometry.Plan.ExternalFieldEnergy(density, geometry.ExternalField);
        var terms = new FixedPointEnergyTerms(e0, local, electron, coulomb, field);
        foreach (var (_, t) in terms.Named()) t.MoveToOuterDisposeScope();
        return terms;
    }

    /// Runs the SCF and returns energy, forces (−∂E/∂r), stress and the SCF outputs. The derivatives follow
    /// <see cref="ScfOptions.ForcesMethod"/> (<see cref="DifferentiableScf"/>): implicit at the converged fixed point, or through
    /// the unrolled loop.
    /// <param name="createGraph">keep the derivative graph (force training); always through the unrolled loop</param>
    public FixedPointPrediction Evaluate(FixedPointInputs inputs, ScfOptions options, bool computeForces = true, bool computeStress = false,
        bool createGraph = false)
    {
        var prediction = EvaluateOnce(inputs, options, computeForces, computeStress, createGraph);
        if (prediction.Derivation is not { SolvesConverged: false } derivation) return prediction;
        // The adjoint solve ran in the backward pass, after the implicit solution was accepted: redo the batch unrolled.
        var unrolled = EvaluateOnce(inputs, options with { ForcesMethod = ForcesMethod.Unroll }, computeForces, computeStress, createGraph);
        return unrolled with
        {
            Derivation = new(ForcesMethod.Unroll, $"implicit adjoint solve poor (GMRES relative residual {derivation.Krylov!.WorstResidual:E1})"),
        };
    }

    private FixedPointPrediction EvaluateOnce(FixedPointInputs inputs, ScfOptions options, bool computeForces, bool computeStress, bool createGraph)
    {
        using var scope = NewDisposeScope();
        var positions = inputs.Graph.Positions.to_type(Dtype);
        var cell = inputs.Graph.Cell.to_type(Dtype);
        if (computeForces && !positions.requires_grad) positions = positions.detach().requires_grad_(true);
        var unstrained = positions;
        Tensor? displacement = null;
        if (computeStress)
        {
            // Symmetric strain ε_s at ε = 0 on positions and cell, as in MaceProperties.
            displacement = zeros(inputs.NumGraphs, 3, 3, dtype: Dtype).requires_grad_(true);
            var strain = 0.5 * (displacement + displacement.transpose(1, 2));
            positions = positions + positions.unsqueeze(1).bmm(strain.index_select(0, inputs.Graph.Batch)).squeeze(1);
            cell = cell + cell.bmm(strain);
        }
        using var geometry = Prepare(inputs.WithGeometry(positions, cell));
        var (p0, mu0, charge) = InitialState(geometry, inputs, options);
        ScfResult scf;
        ForcesDerivation? derivation = null;
        if (!(computeForces || computeStress || createGraph)) scf = ScfRunner.Run(geometry, options, p0, mu0, charge);
        else
        {
            // Force training differentiates the forces again: it keeps the unrolled graph (the implicit derivative is held fixed).
            var method = createGraph ? options with { ForcesMethod = ForcesMethod.Unroll } : options;
            (scf, derivation) = DifferentiableScf.Run(geometry, method, p0, mu0, charge);
        }
        var terms = Energy(geometry, scf.Density, scf.Features);
        var energy = terms.Total;
        Tensor? forces = null, virials = null, stress = null;
        var wrt = new List<Tensor>();
        if (computeForces) wrt.Add(unstrained);
        if (displacement is not null) wrt.Add(displacement);
        if (wrt.Count > 0)
        {
            var grads = autograd.grad([energy], wrt, [ones_like(energy)], retain_graph: createGraph, create_graph: createGraph, allow_unused: true);
            int k = 0;
            if (computeForces) forces = -(grads[k++] ?? zeros_like(unstrained));
            if (displacement is not null)
            {
                var dEdStrain = grads[k] ?? zeros_like(displacement);
                virials = -dEdStrain;
                stress = dEdStrain / linalg.det(inputs.Graph.Cell.to_type(Dtype)).abs().view(-1, 1, 1);
            }
        }
        var prediction = new FixedPointPrediction(energy, forces, virials, stress, terms, scf, geometry.Plan.TotalCharge(scf.Density),
            geometry.Plan.TotalDipole(scf.Density), derivation);
        foreach (var t in new[] { energy, forces, virials, stress, prediction.TotalCharge, prediction.Dipole, scf.Density, scf.FermiLevel,
                     scf.Features, scf.History })
            t?.MoveToOuterDisposeScope();
        foreach (var (_, t) in terms.Named()) t.MoveToOuterDisposeScope();
        return prediction;
    }
}
