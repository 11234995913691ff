using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.Mace;
using MaceScf.Models;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// <summary>
/// The fixed-point SCF electrostatic MACE model ("FixedPointCore"): MACE backbone → p_local, h_mix, layer energies;
/// SCF p = F(p) = p_local + U(V̂(p)); E = E0 + local energies + local electron energy + E_Coul[p] + E·P[p] (docs/math.md, "Energy").
/// </summary>
public sealed class FixedPointModel : nn.Module, IAtomisticModel
{
    private readonly MaceModel _backbone;
    private readonly ModuleList<LocalDensityBlock> _localDensity = new();
    private readonly MultiLayerFeatureMixer _mixer;
    private readonly FixedPointUpdate _update;
    private readonly FieldReadout _readout;

    /// <summary>A model with freshly initialised parameters.</summary>
    /// <param name="hyperparameters">the architecture (from <see cref="MaceScf.Training.ModelSetup"/> when training)</param>
    /// <param name="dtype">floating-point type of the parameters and outputs</param>
    public FixedPointModel(FixedPointHyperparameters hyperparameters, ScalarType dtype = ScalarType.Float64) : base(nameof(FixedPointModel))
    {
        hyperparameters.Validate();
        Hyperparameters = hyperparameters;
        Dtype = dtype;
        var mace = hyperparameters.ResolvedMace;
        var hidden = mace.ResolveHiddenIrreps();
        _backbone = new MaceModel(mace, dtype) { ContractionsFirst = false };
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

    /// <summary>The architecture the model was built with.</summary>
    public FixedPointHyperparameters Hyperparameters { get; private set; }

    /// <summary>
    /// Sets how the periodic electrostatics are evaluated (`kspace_method`, `electrostatics_accuracy`): numerical
    /// settings, not trained parameters, so a model may be evaluated with other values than it was trained with.
    /// </summary>
    public void UseKspace(KspaceMethod method, double accuracy) =>
        Hyperparameters = Hyperparameters with
        {
            Electrostatics = Hyperparameters.Electrostatics with { KspaceMethod = method, ElectrostaticsAccuracy = accuracy },
        };

    /// <summary>Floating-point type of the parameters and outputs.</summary>
    public ScalarType Dtype { get; }

    /// <summary>The MACE backbone.</summary>
    public MaceModel Backbone => _backbone;

    internal FixedPointUpdate Update => _update;

    internal FieldReadout Readout => _readout;

    /// <summary>Number of trainable numbers.</summary>
    public long ParameterCount => parameters().Sum(p => p.numel());

    /// `fixedpoint_initial_charge_head_scale`: multiplies the parameters of the density's output layers (each layer's
    /// local-density readout, when it has one, and the update's element-select output) by <paramref name="factor"/>, so that a
    /// fresh model predicts small densities (as the Python run_train does after building the model).
    internal void ScaleChargeHeads(double factor)
    {
        using var noGrad = torch.no_grad();
        var heads = _localDensity.Select(b => b.ChargeHead).OfType<nn.Module>().Append(_update.ChargeHead);
        using var scale = factor.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        foreach (var p in heads.SelectMany(h => h.parameters())) p.mul_(scale);
    }

    /// <summary>
    /// Fixes the parameters for inference (no parameter gradients; forces and stress still differentiate the positions).
    /// </summary>
    public FixedPointModel Freeze()
    {
        foreach (var p in parameters()) p.requires_grad_(false);
        return this;
    }

    /// Whether map steps use the update's per-atom affine form when it has one (an SCF step then costs the field evaluation and one
    /// batched matrix–vector product; docs/fixed-point.md, "The affine one-body update"). Off only to compare with the update's blocks.
    internal bool AffineUpdateForm { get; set; } = true;

    /// Whether the implicit solves of a one-body update are preconditioned on the long-wavelength charge waves of fully periodic cells
    /// (<see cref="FixedPoint.LongWavelengthPreconditioner"/>: the same solution in fewer products). Off only to compare.
    internal bool LongWavelengthPreconditioner { get; set; } = true;

    /// The per-geometry state (backbone, p_local, h_mix, electrostatics plan, external-field features): computed once per
    /// geometry, then every SCF step only runs the update rule and one field evaluation. Dispose it after use.
    internal FixedPointGeometry Prepare(SystemInputs inputs)
    {
        using var scope = NewDisposeScope();
        var graph = inputs.Graph;
        var positions = graph.Positions.to_type(Dtype);
        var output = _backbone.forward(graph with { Positions = positions, Cell = graph.Cell.to_type(Dtype) });
        var nodeAttrs = nn.functional.one_hot(graph.Species, Hyperparameters.Mace.NumElements).to_type(Dtype);
        var pLocal = _localDensity[0].forward(output.NodeFeatures[0], nodeAttrs);
        for (int t = 1; t < _localDensity.Count; t++) pLocal = pLocal.Plus(_localDensity[t].forward(output.NodeFeatures[t], nodeAttrs));
        var edgeAttrs = output.EdgeAttributes.narrow(1, 0, Math.Min(9, output.EdgeAttributes.shape[1]));
        // The update's and readouts' radial MLPs, like the backbone's, run once per undirected pair of edges when it has them.
        var context = new UpdateContext(nodeAttrs, _mixer.forward(output.NodeFeatures), output.NodeFeatures[^1], edgeAttrs,
            output.PairFeatures ?? output.EdgeFeatures, graph.EdgeIndex[0], graph.EdgeIndex[1], output.EdgePair);
        // The SCF evaluates the field tens of times at this geometry: `auto` resolves with the SCF's crossover.
        var plan = new ElectrostaticsPlan(Hyperparameters.Electrostatics, positions, graph.Cell.to_type(Dtype), inputs.Pbc, graph.Batch,
            KspaceMethodNames.ScfAutoPmeThreshold);
        var field = inputs.ExternalField?.to_type(Dtype);
        var external = plan.ExternalFeatures(field);
        var norms = get_buffer("field_feature_norms")!;
        foreach (var t in output.NodeFeatures.Concat(output.NodeEnergies)) t.MoveToOuterDisposeScope();
        foreach (var t in new[] { output.NodeE0, output.NodeEnergy, output.InteractionEnergy, output.Energy, output.EdgeAttributes,
                     output.EdgeFeatures, output.EdgeVectors, nodeAttrs, context.HMix, edgeAttrs, context.Sender, context.Receiver, pLocal, external })
            t.MoveToOuterDisposeScope();
        field?.MoveToOuterDisposeScope();
        output.PairFeatures?.MoveToOuterDisposeScope();
        output.EdgePair?.MoveToOuterDisposeScope();
        var detachedPositions = positions.detach().MoveToOuterDisposeScope();
        var detachedCell = graph.Cell.to_type(Dtype).detach().MoveToOuterDisposeScope();
        return new FixedPointGeometry(_update, output, context, pLocal, plan, external, norms, Hyperparameters.FermiLevelOffset,
            graph.Batch, graph.NumGraphs, field)
        {
            UseAffineForm = AffineUpdateForm,
            UsePreconditioner = LongWavelengthPreconditioner,
            DetachedPlan = () => new ElectrostaticsPlan(Hyperparameters.Electrostatics, detachedPositions, detachedCell, inputs.Pbc, graph.Batch,
                KspaceMethodNames.ScfAutoPmeThreshold),
        };
    }

    /// The SCF starting point chosen by the options: (density [N, K], Fermi level [G], target charge [G]).
    internal (Tensor Density, Tensor FermiLevel, Tensor TargetCharge) InitialState(FixedPointGeometry geometry, SystemInputs inputs, ScfOptions options)
    {
        var density = options.InitialDensity switch
        {
            InitialDensity.FromData => StartDensity(inputs,
                "initial_density from_data needs a start density (atomic multipoles in the data, or the previous step's)"),
            InitialDensity.Zero => zeros_like(geometry.LocalDensity),
            _ => geometry.LocalDensity,
        };
        // from_data without a Fermi level starts, like zero, at μ_off.
        var given = inputs.Start?.FermiLevel ?? inputs.FermiLevel;
        using var offset = Hyperparameters.FermiLevelOffset.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var fermi = options.InitialFermiLevel == InitialFermiLevel.FromData && given is not null
            ? given.to_type(Dtype)
            : full(inputs.NumGraphs, offset, dtype: Dtype);
        var charge = inputs.TotalCharge?.to_type(Dtype) ?? zeros(inputs.NumGraphs, dtype: Dtype);
        return (density, fermi, charge);
    }

    /// The start density with the model's (L+1)² columns (a file may carry higher orders than the model).
    private Tensor StartDensity(SystemInputs inputs, string missing) =>
        (inputs.Start?.Density ?? throw new ArgumentException(missing)).to_type(Dtype).narrow(1, 0, Hyperparameters.Electrostatics.DensityCoefficientCount);

    /// Energy terms of a final density p at Fermi level μ (features V̂ of that density).
    /// With electrodes, the grand potential Ω = E + Σ_r μ_r Q_r of the electrode regions (docs/response.md).
    internal FixedPointEnergyTerms Energy(FixedPointGeometry geometry, Tensor density, Tensor features, FermiRegions? regions = null)
    {
        using var scope = NewDisposeScope();
        var e0 = GraphSum.Of(geometry.Backbone.NodeE0, geometry.Batch, geometry.NumGraphs);
        // A handle of this scope: moving the geometry's own tensor out would take it out of its owner's scope (a leak).
        var local = geometry.Backbone.InteractionEnergy.alias();
        var electron = Hyperparameters.IncludeLocalElectronEnergy
            ? GraphSum.Of(_readout.forward(geometry.Context, density, geometry.LocalDensity, features), geometry.Batch, geometry.NumGraphs)
            : zeros_like(e0);
        var coulomb = geometry.Plan.Energy(density);
        var field = geometry.ExternalField is null ? zeros_like(e0) : geometry.Plan.ExternalFieldEnergy(density, geometry.ExternalField);
        // μ_r Q_r of every electrode (slot ≥ 1) at its given Fermi level, summed per structure.
        var electrodes = regions is { Slots: > 1 }
            ? torch.where(regions.IsElectrode, regions.FixedFermiLevel * regions.Sum(density.select(1, 0)), zeros_like(regions.FixedFermiLevel))
                .view(-1, regions.Slots).sum(1)
            : null;
        var terms = new FixedPointEnergyTerms(e0, local, electron, coulomb, field, electrodes);
        foreach (var (_, t) in terms.Named()) t.MoveToOuterDisposeScope();
        return terms;
    }

    double IAtomisticModel.Cutoff => Hyperparameters.Mace.RMax;

    IReadOnlyList<int> IAtomisticModel.AtomicNumbers => Hyperparameters.Mace.AtomicNumbers;

    Prediction IAtomisticModel.Predict(SystemInputs inputs, PredictionRequest request) => Predict(inputs, request);

    /// Runs the SCF as the request says and returns energy, forces (−∂E/∂r), stress and the SCF outputs. Derivatives are
    /// implicit at the converged fixed point, or through the unrolled loop, under the one fall-back policy of
    /// <see cref="ImplicitFallback"/>: when forces or stress ran the adjoint solve here and it was poor, the batch is redone
    /// unrolled; when the caller runs the backward pass (training), it asks <see cref="UnrollIfAdjointPoor"/> afterwards.
    internal Prediction Predict(SystemInputs inputs, PredictionRequest request)
    {
        var prediction = PredictOnce(inputs, request);
        return request.Forces || request.Stress ? UnrollIfAdjointPoor(inputs, request, prediction) ?? prediction : prediction;
    }

    /// After the backward pass of an implicit prediction: the batch redone with the SCF unrolled when the adjoint solve was
    /// poor (<see cref="ImplicitFallback.AdjointReason"/>), otherwise null.
    internal Prediction? UnrollIfAdjointPoor(SystemInputs inputs, PredictionRequest request, Prediction prediction)
    {
        if (ImplicitFallback.AdjointReason(prediction.Derivation) is not { } reason) return null;
        prediction.Dispose();
        var unrolled = PredictOnce(inputs, request with
        {
            Method = SolutionMethod.Unroll, Scf = ImplicitFallback.UnrollOptions(request.Scf, prediction.Scf!, request.FallbackStepLimit),
        });
        return unrolled with { Derivation = new(ForcesMethod.Unroll, reason) };
    }

    private Prediction PredictOnce(SystemInputs inputs, PredictionRequest request)
    {
        // In training the caller's backward pass runs after this returns, and a matrix-free adjoint solve calls back into
        // tensors of this pass: the caller's dispose scope owns them (docs/design.md, "Tensor lifetimes").
        using var scope = request.Training ? null : NewDisposeScope();
        // Born charges and polarizability of a direct step or an unrolled SCF differentiate that graph (so a loss on them trains);
        // of a converged SCF they are implicit derivatives (LinearResponse).
        bool onGraph = request.ResponseOnGraph;
        var strain = new StrainDerivatives(inputs.Graph, Dtype, request.Forces || (onGraph && request.BornCharges), request.Stress);
        var fieldLeaf = onGraph && request.Polarizability
            ? (inputs.ExternalField?.to_type(Dtype) ?? zeros(inputs.NumGraphs, 3, dtype: Dtype)).detach().clone().requires_grad_(true) : null;
        if (fieldLeaf is not null) inputs = inputs with { ExternalField = fieldLeaf };
        using var geometry = Prepare(inputs.WithGeometry(strain.Positions, strain.Cell));
        var (density, fermi, muNode, features, scf, derivation, regions) = Solve(geometry, inputs, request);
        var dipole = geometry.Plan.TotalDipole(density);
        var response = onGraph
            ? DipoleDerivatives.Of(dipole, request.BornCharges ? strain.UnstrainedPositions : null, fieldLeaf, createGraph: request.Training || request.CreateGraph)
            : request.BornCharges || request.Polarizability ? Response(inputs, request, density, fermi, scf) : null;
        var terms = Energy(geometry, density, features, regions);
        var energy = terms.Total;
        var (forces, virials, stress) = strain.Differentiate(energy, retainGraph: request.Training, request.CreateGraph);
        var prediction = new Prediction(energy, terms.Named().ToList())
        {
            Forces = forces, Virials = virials, Stress = stress, Density = density, FermiLevel = fermi,
            TotalCharge = geometry.Plan.TotalCharge(density), Dipole = dipole, Scf = scf, Derivation = derivation,
            Potentials = request.Potentials ? (geometry.Plan.Potential(density), geometry.Plan.Potential(StartDensity(inputs, "the esps loss needs reference multipoles"))) : null,
            FieldFeatures = request.FieldFeatures
                ? (geometry.Features(density, muNode), geometry.Features(StartDensity(inputs, "the field_features loss needs reference multipoles"), muNode))
                : null,
            StabilityRatio = request.Stability ? ScfStability.Ratio(geometry, density, muNode) : null,
            Response = response,
            Regions = inputs.Electrodes is null || regions is null ? null
                : new RegionTotals(regions.Sum(density.select(1, 0)).view(-1, regions.Slots), scf?.RegionFermiLevels ?? regions.FixedFermiLevel.view(-1, regions.Slots)),
        };
        if (scope is not null)
            foreach (var t in prediction.Tensors()) t.MoveToOuterDisposeScope();
        return prediction;
    }

    /// Born charges and polarizabilities at the SCF solution by implicit differentiation (<see cref="LinearResponse"/>).
    private ResponseTensors Response(SystemInputs inputs, PredictionRequest request, Tensor density, Tensor fermi, ScfResult? scf)
    {
        if (scf is null) throw new ArgumentException("Born charges and polarizabilities need an SCF solution, not the direct method");
        if (inputs.Electrodes is not null) throw new ArgumentException("Born charges and polarizabilities are not available with electrode regions");
        var charge = inputs.TotalCharge?.to_type(Dtype) ?? zeros(inputs.NumGraphs, dtype: Dtype);
        return LinearResponse.Compute(this, inputs, density, fermi, charge, request.Scf.ConstantCharge, scf.Status, request.BornCharges,
            request.Polarizability);
    }

    /// The final density, its Fermi level (the electrolyte's with electrodes) and that of every atom, its features, the SCF run,
    /// how it is differentiated, by the request's method, and the groups with their own Fermi level (null at constant μ).
    private (Tensor Density, Tensor FermiLevel, Tensor AtomFermiLevel, Tensor Features, ScfResult? Scf, ForcesDerivation? Derivation, FermiRegions? Regions)
        Solve(FixedPointGeometry geometry, SystemInputs inputs, PredictionRequest request)
    {
        var method = request.ResolvedMethod;
        if (method == SolutionMethod.Direct)
        {
            if (inputs.Electrodes is not null) throw new ArgumentException("electrode regions need an SCF, not the direct method");
            // One update from the start density at the start Fermi level: ρ = ρ_loc + Δρ(ρ_start, μ_start).
            using var offset = Hyperparameters.FermiLevelOffset.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
            var fermi = (inputs.Start?.FermiLevel ?? inputs.FermiLevel)?.to_type(Dtype) ?? full(inputs.NumGraphs, offset, dtype: Dtype);
            var atomFermi = fermi.index_select(0, geometry.Batch);
            var step = geometry.Step(StartDensity(inputs, "the direct method needs a start density (reference multipoles)"), atomFermi);
            return (geometry.LocalDensity.Plus(step.Update), fermi, atomFermi, step.Features, null, null, null);
        }
        var options = request.Scf;
        var (p0, mu0, charge) = InitialState(geometry, inputs, options);
        var regions = FermiRegionsOf(geometry, inputs, options, mu0, charge);
        // The Fermi levels the SCF works with: one per structure, or one per group with electrodes.
        var start = regions is { Slots: > 1 } ? regions.FixedFermiLevel : mu0;
        (Tensor Density, Tensor FermiLevel, Tensor AtomFermiLevel, Tensor Features, ScfResult? Scf, ForcesDerivation? Derivation, FermiRegions? Regions)
            Result(Tensor density, Tensor groupFermi, Tensor features, ScfResult scf, ForcesDerivation? derivation) =>
            (density, regions?.Electrolyte(groupFermi) ?? groupFermi, regions?.OfAtoms(groupFermi) ?? groupFermi.index_select(0, geometry.Batch),
                features, scf, derivation, regions);
        Tensor GroupFermi(ScfResult r) => r.RegionFermiLevels?.flatten() ?? r.FermiLevel;
        if (!request.Differentiated)
        {
            var plain = ScfRunner.Run(geometry, options, p0, start, charge, regions: regions);
            return Result(plain.Density, GroupFermi(plain), plain.Features, plain, null);
        }
        string? reason = null;
        ScfResult? converged = null;
        if (method != SolutionMethod.Unroll)
        {
            // Converge without a graph, then make the solution differentiable (docs/math.md, "Implicit differentiation").
            converged = ScfRunner.Run(geometry, options, p0, start, charge, keepGraph: false, regions);
            reason = ImplicitFallback.ScfReason(converged);
            if (reason is null)
            {
                var krylov = new KrylovReport();
                bool differentiableJacobian = request.Training && (method == SolutionMethod.LinearizeSolve || request.CreateGraph);
                // Forces at inference are always matrix-free (GMRES was already cheaper at 33 unknowns, docs/benchmarks.md);
                // training builds J densely up to LinearizedSolution.DenseLimit unknowns, where it can stay on the graph.
                int denseLimit = request.DenseJacobianLimit ?? (request.Training ? LinearizedSolution.DenseLimit : 0);
                var solved = LinearizedSolution.Solve(geometry, converged.Density, GroupFermi(converged), regions, differentiableJacobian, denseLimit,
                    krylov, request.MapProductJacobian);
                reason = ImplicitFallback.SolveReason(solved is not null, krylov);
                if (reason is null)
                {
                    var (density, fermi) = solved!.Value;
                    var features = geometry.Features(density, regions?.OfAtoms(fermi) ?? fermi.index_select(0, geometry.Batch));
                    var scf = converged with
                    {
                        Density = density, FermiLevel = regions?.Electrolyte(fermi) ?? fermi, Features = features,
                        RegionFermiLevels = regions is { Slots: > 1 } ? fermi.view(-1, regions.Slots) : null,
                    };
                    return Result(density, fermi, features, scf, new(ForcesMethod.Implicit, Krylov: krylov));
                }
            }
        }
        var unrollOptions = converged is null ? options : ImplicitFallback.UnrollOptions(options, converged, request.FallbackStepLimit);
        var unrolled = ScfRunner.Run(geometry, unrollOptions, p0, start, charge, keepGraph: true, regions);
        return Result(unrolled.Density, GroupFermi(unrolled), unrolled.Features, unrolled, new(ForcesMethod.Unroll, reason));
    }

    /// The groups with their own Fermi level: none at constant μ without electrodes, one held group per structure at constant
    /// charge, and with electrodes (docs/response.md, "Electrodes at a potential difference") S = R + 1 slots per structure:
    /// the electrolyte (slot 0; held at its charge in a constant-charge SCF, otherwise at <paramref name="fermi"/>) and the
    /// electrodes 1..R at their given Fermi levels.
    /// <param name="geometry">the geometry of the batch</param>
    /// <param name="inputs">the batch, with its electrode regions if any</param>
    /// <param name="options">the SCF settings (constant charge or constant μ)</param>
    /// <param name="fermi">[G] the start (or fixed) μ of the structures</param>
    /// <param name="charge">[G] the target charge of a constant-charge SCF</param>
    internal static FermiRegions? FermiRegionsOf(FixedPointGeometry geometry, SystemInputs inputs, ScfOptions options, Tensor fermi, Tensor charge)
    {
        if (inputs.Electrodes is not { } electrodes)
            return options.ConstantCharge ? FermiRegions.Whole(geometry.Batch, charge) : null;
        var levels = electrodes.FermiLevels.to_type(fermi.dtype);
        int slots = (int)levels.shape[1] + 1;
        var index = geometry.Batch.Times(slots).Plus(electrodes.Region);
        var fixedLevels = cat([fermi.unsqueeze(1), levels], 1).flatten();
        var count = Data.GraphSum.Of(ones(index.shape[0], dtype: fermi.dtype), index, inputs.NumGraphs * slots);
        using var slotCount = slots.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var electrolyte = HeldScalars.Range(inputs.NumGraphs * slots, ScalarType.Int64).remainder(slotCount).EqualTo(0);
        // An electrolyte without atoms has no charge to hold.
        var held = electrolyte.logical_and(count.GreaterThan(0)).logical_and(tensor(options.ConstantCharge));
        var target = cat([electrodes.ElectrolyteCharge.to_type(fermi.dtype).unsqueeze(1), zeros_like(levels)], 1).flatten();
        return new FermiRegions(index, slots, held, target, fixedLevels);
    }
}
