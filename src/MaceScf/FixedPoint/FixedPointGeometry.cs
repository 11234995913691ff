using MaceScf.Electrostatics;
using MaceScf.Mace;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The per-geometry state of the fixed-point model (docs/math.md, "The fixed-point map"), computed once: backbone output, p_local,
/// the mixed features, the electrostatics plan and the external-field features. As an <see cref="IFixedPointMap"/> it is
/// the update map p ↦ F(p, μ) at this geometry: single steps (direct training), unrolled SCF, and vector–Jacobian /
/// Jacobian–vector products of the map for implicit differentiation all go through <see cref="Step"/>.
internal sealed class FixedPointGeometry : IFixedPointMap, IDisposable
{
    private readonly FixedPointUpdate _update;
    private readonly Tensor _norms;
    private readonly double _fermiOffset;
    // The update's per-atom affine form (FixedPointUpdate.PerAtomAffineForm) without a graph, built at the first graph-free step.
    private (Tensor Matrix, Tensor Offset)? _affine;
    private bool _noAffineForm;

    internal FixedPointGeometry(FixedPointUpdate update, MaceOutput backbone, UpdateContext context, Tensor localDensity,
        ElectrostaticsPlan plan, Tensor externalFeatures, Tensor norms, double fermiOffset, Tensor batch, int numGraphs, Tensor? externalField)
    {
        _update = update;
        Backbone = backbone;
        Context = context;
        LocalDensity = localDensity;
        Plan = plan;
        ExternalFeatures = externalFeatures;
        _norms = norms;
        _fermiOffset = fermiOffset;
        Batch = batch;
        NumGraphs = numGraphs;
        ExternalField = externalField;
    }

    public MaceOutput Backbone { get; }

    public UpdateContext Context { get; }

    public Tensor LocalDensity { get; }

    public ElectrostaticsPlan Plan { get; }

    /// Unnormalised features of the applied field, [N, F].
    public Tensor ExternalFeatures { get; }

    /// [G, 3] or null.
    public Tensor? ExternalField { get; }

    public Tensor Batch { get; }

    public int NumGraphs { get; }

    /// V̂ = (Feat[p] + F_ext + M·[μ_i − μ_off, 0, 0, 0]) / n (docs/math.md, "The fixed-point map").
    public Tensor Features(Tensor density, Tensor fermiLevel)
    {
        using var scope = NewDisposeScope();
        var raw = Plan.FieldFeatures(density).Plus(ExternalFeatures).Plus(Plan.ExternalFeatures(null, fermiLevel.Plus(-_fermiOffset)));
        return (raw / _norms).MoveToOuterDisposeScope();
    }

    /// The part of V̂ linear in (p, μ): (Feat[p] + M·[μ_i, 0, 0, 0]) / n, without the applied field and the Fermi-level offset.
    /// It depends on the geometry only, not on the parameters (<see cref="OneBodyJacobian"/>).
    public Tensor LinearFeatures(Tensor density, Tensor fermiLevel)
    {
        using var scope = NewDisposeScope();
        return (Plan.FieldFeatures(density).Plus(Plan.ExternalFeatures(null, fermiLevel)) / _norms).MoveToOuterDisposeScope();
    }

    /// Atom i's Δp depends only on its own V̂_i (<see cref="FixedPointUpdate.IsOneBody"/>).
    public bool UpdateIsOneBody => _update.IsOneBody;

    /// Δp of the features V̂ [N, F].
    public Tensor Update(Tensor features) => _update.forward(Context, features);

    /// The update is affine in V̂ (no non-linearity), so its charge response to μ is a constant of the geometry.
    public bool ChargeResponseIsConstant => _update.IsAffineInFeatures;

    /// Whether the implicit solves of a one-body update use <see cref="LongWavelengthPreconditioner"/> in fully periodic cells (the same
    /// solution; <see cref="FixedPointModel.LongWavelengthPreconditioner"/>).
    public bool UsePreconditioner { get; init; } = true;

    /// The long-wavelength preconditioner of the implicit solves (<see cref="LongWavelengthPreconditioner"/>, M⁻¹ on the density rows) for
    /// the Anderson mixer, when <see cref="UsePreconditioner"/> and the update is one-body and affine in V̂ (its response, and so M, is a
    /// constant of the geometry) in a fully periodic cell (docs/fixed-point.md, "Anderson mixing"). The caller owns it.
    public LongWavelengthPreconditioner? MixingPreconditioner(Tensor density, Tensor fermiLevel, FermiRegions? regions)
    {
        if (!UsePreconditioner || !UpdateIsOneBody || !ChargeResponseIsConstant || !Plan.PeriodicStructures().Any()) return null;
        long n = density.shape[0], k = density.shape[1], groups = regions?.Count ?? 0;
        using var scope = NewDisposeScope();
        var atomMu = regions is null ? fermiLevel.index_select(0, Batch) : regions.OfAtoms(fermiLevel);
        var response = UpdateResponse(density.detach(), atomMu.detach());
        var preconditioner = LongWavelengthPreconditioner.For(this, response, n, k, n * k + groups, regions);
        foreach (var t in preconditioner?.Tensors() ?? []) t.MoveToOuterDisposeScope();
        return preconditioner;
    }

    /// Whether steps may use the update's per-atom affine form (the same Δp to rounding; <see cref="FixedPointModel.AffineUpdateForm"/>).
    public bool UseAffineForm { get; init; } = true;

    public ScfStep Step(Tensor density, Tensor fermiLevel)
    {
        using var scope = NewDisposeScope();
        var features = Features(density, fermiLevel);
        var update = AffineForm(features.shape[1]) is { } form
            ? form.Offset.Plus(form.Matrix.bmm(features.unsqueeze(2)).squeeze(2))
            : _update.forward(Context, features);
        return new ScfStep(update.MoveToOuterDisposeScope(), features.MoveToOuterDisposeScope());
    }

    /// Δp at (p, μ) on the graph for a residual that many products differentiate (the implicit solves, <see cref="LinearizedSolution"/>):
    /// with an update that has a per-atom affine form, through that form built on the graph for this call, so that each product's
    /// backward pass goes through one batched matrix–vector product instead of the update's blocks (the same Δp and derivatives).
    public Tensor LinearizedUpdate(Tensor density, Tensor fermiLevel)
    {
        using var scope = NewDisposeScope();
        var features = Features(density, fermiLevel);
        var update = UseAffineForm && _update.PerAtomAffineForm(Context, features.shape[1]) is { } form
            ? form.Offset.Plus(form.Matrix.bmm(features.unsqueeze(2)).squeeze(2))
            : _update.forward(Context, features);
        return update.MoveToOuterDisposeScope();
    }

    /// A = ∂Δp/∂V̂ at (p, μ) for a one-body update, [N, K, F] per atom, without a graph: the affine form's matrix when the update has
    /// one (then independent of p and μ), otherwise K vector–Jacobian products of the update alone (<see cref="OneBodyOperator"/>).
    public Tensor UpdateResponse(Tensor density, Tensor fermiLevel)
    {
        if (!_update.IsOneBody) throw new InvalidOperationException("a per-atom response needs a one-body update");
        using var scope = NewDisposeScope();
        Tensor features;
        using (no_grad())
        {
            features = Features(density, fermiLevel);
            if (AffineForm(features.shape[1]) is { } form) return form.Matrix.alias().MoveToOuterDisposeScope();
        }
        var v = features.requires_grad_(true);
        using var enable = enable_grad();
        var update = _update.forward(Context, v);
        long k = update.shape[1];
        using Scalar zero = 0L.ToScalar(), count = k.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var component = arange(zero, count, HeldScalars.One, device: v.device);
        var rows = new Tensor[k];
        for (int kappa = 0; kappa < k; kappa++)
        {
            using var index = kappa.ToScalar();
            rows[kappa] = Gradients.Of([update], [v], [component.eq(index).to(v.dtype).expand_as(update)], retainGraph: kappa < k - 1)[0];
        }
        return stack(rows, 1).MoveToOuterDisposeScope();
    }

    /// The update's per-atom affine form for a step without autograd (the SCF's steps), or null: for an update without one, when
    /// switched off, and for steps on the graph, which go through the update's blocks (their graphs are freed by each backward
    /// pass, so a form kept on the graph could not serve the next one).
    private (Tensor Matrix, Tensor Offset)? AffineForm(long features)
    {
        if (!UseAffineForm || _noAffineForm || is_grad_enabled() || !_update.IsAffineInFeatures) return null;
        if (_affine is not null) return _affine;
        if (_update.PerAtomAffineForm(Context, features) is not { } form)
        {
            _noAffineForm = true;
            return null;
        }
        form.Matrix.DetachFromDisposeScope();
        form.Offset.DetachFromDisposeScope();
        _affine = form;
        return form;
    }

    /// Δp and g_i = ∂(Σ_j Δp_j0)/∂μ_i through the update alone: μ enters V̂ only through the applied-potential features, linearly
    /// and per atom (∂V̂_i/∂μ_i = c_i, a constant of the geometry), so g_i = Σ_f ∂(Σ_j Δp_j0)/∂V̂_if c_if — one vector–Jacobian product
    /// of the update with respect to V̂, for one-body and many-body updates alike. Without <paramref name="createGraph"/> the field
    /// features are evaluated without autograd (never differentiated through the electrostatics or the backbone); with it V̂ stays on
    /// the graph, so the response is differentiable in p, μ, the positions and the parameters as the whole step's is.
    /// With the update's per-atom affine form and no graph, g_i = Σ_f A_i0f c_if directly (no autograd: a constant-charge SCF computes
    /// it once per geometry, and differentiating the update's blocks cost about 8 map steps at 480 atoms).
    public (Tensor Update, Tensor Response) ChargeResponse(Tensor density, Tensor fermiLevel, bool createGraph)
    {
        using var scope = NewDisposeScope();
        Tensor features;
        using (createGraph ? null : no_grad())
        {
            features = Features(density, fermiLevel);
            if (!createGraph && AffineForm(features.shape[1]) is { } form)
                return (form.Offset.Plus(form.Matrix.bmm(features.unsqueeze(2)).squeeze(2)).MoveToOuterDisposeScope(),
                    (form.Matrix.select(1, 0) * FermiLevelFeatures(fermiLevel)).sum(1).MoveToOuterDisposeScope());
        }
        var v = createGraph && features.requires_grad ? features : features.detach().requires_grad_(true);
        using var enable = enable_grad();
        var update = _update.forward(Context, v);
        var byFeature = Gradients.Of([update[.., 0].sum()], [v], retainGraph: true, createGraph: createGraph, allowUnused: true)[0]
                        ?? zeros_like(v);
        var response = (byFeature * FermiLevelFeatures(fermiLevel)).sum(1);
        if (!createGraph) update = update.detach();
        return (update.MoveToOuterDisposeScope(), response.MoveToOuterDisposeScope());
    }

    /// ∂V̂_i/∂μ_i [N, F]: the features of a unit applied potential, over the norms.
    public Tensor FermiLevelFeatures(Tensor fermiLevel)
    {
        using var noGrad = no_grad();
        return Plan.ExternalFeatures(null, ones_like(fermiLevel)) / _norms;
    }

    /// ∂V̂_i/∂E_a [N, F]: the field features of a unit uniform field along Cartesian axis a (without its potential), over the norms.
    public Tensor UniformFieldFeatures(int axis)
    {
        using var noGrad = no_grad();
        return Plan.UniformFieldFeatures(axis) / _norms;
    }

    /// F(p, μ) = p_local + Δp: the map whose fixed point the SCF finds.
    public Tensor Map(Tensor density, Tensor fermiLevel)
    {
        using var scope = NewDisposeScope();
        return LocalDensity.Plus(Step(density, fermiLevel).Update).MoveToOuterDisposeScope();
    }

    /// vᵀ ∂F/∂p at (p, μ) [N, K], the product implicit differentiation needs (adjoint of the fixed-point equation).
    /// <param name="density">p [N, K]</param>
    /// <param name="fermiLevel">μ [N], per atom</param>
    /// <param name="v">[N, K] the vector the Jacobian is applied to from the left</param>
    /// <param name="createGraph">keep the graph (to differentiate the product again, e.g. with respect to parameters)</param>
    public Tensor VectorJacobianProduct(Tensor density, Tensor fermiLevel, Tensor v, bool createGraph = false)
    {
        using var scope = NewDisposeScope();
        var p = density.detach().requires_grad_(true);
        var mapped = Map(p, fermiLevel);
        var vjp = Gradients.Of([mapped], [p], [v], retainGraph: createGraph, createGraph: createGraph)[0];
        return vjp.MoveToOuterDisposeScope();
    }

    /// ∂F/∂p · u at (p, μ) [N, K] (matrix-free linearize_solve), by differentiating the vector–Jacobian product
    /// w ↦ wᵀ ∂F/∂p, which is linear in w, once more.
    public Tensor JacobianVectorProduct(Tensor density, Tensor fermiLevel, Tensor u)
    {
        using var scope = NewDisposeScope();
        var p = density.detach().requires_grad_(true);
        var mapped = Map(p, fermiLevel);
        var w = torch.zeros_like(mapped).requires_grad_(true);
        var vjp = Gradients.Of([mapped], [p], [w], retainGraph: true, createGraph: true)[0];
        var jvp = Gradients.Of([vjp], [w], [u])[0];
        return jvp.detach().MoveToOuterDisposeScope();
    }

    /// Builds the electrostatics plan again on detached positions and cell (<see cref="ForProducts"/>); null when not given.
    public Func<ElectrostaticsPlan>? DetachedPlan { get; init; }

    private FixedPointGeometry? _productTwin;

    /// For a particle-mesh plan, the same map at the same (p, μ) with every per-geometry tensor detached and the plan rebuilt on
    /// detached positions, for the implicit solves' products in (p, μ) (<see cref="LinearizedSolution"/>); otherwise null. Its
    /// values and derivatives in (p, μ) are this geometry's exactly. The PME's recomputed blocks are one autograd node whose backward
    /// pass computes gradients for all its differentiable inputs, so on this geometry every product would also compute position
    /// gradients it does not need. Built once; disposed with this geometry.
    public FixedPointGeometry? ForProducts()
    {
        if (_productTwin is not null) return _productTwin;
        if (DetachedPlan is null || !Plan.KspaceSetups.Any(k => k?.Method == KspaceMethod.Pme)) return null;
        var context = Context with
        {
            NodeAttrs = Context.NodeAttrs.detach(), HMix = Context.HMix.detach(), HLast = Context.HLast.detach(),
            EdgeAttrs = Context.EdgeAttrs.detach(), EdgeFeats = Context.EdgeFeats.detach(),
        };
        _productTwin = new FixedPointGeometry(_update, Backbone, context, LocalDensity.detach(), DetachedPlan(), ExternalFeatures.detach(), _norms,
            _fermiOffset, Batch, NumGraphs, ExternalField?.detach()) { UseAffineForm = UseAffineForm, UsePreconditioner = UsePreconditioner };
        return _productTwin;
    }

    public void Dispose()
    {
        _productTwin?.Dispose();
        Plan.Dispose();
        if (_affine is { } form)
        {
            form.Matrix.Dispose();
            form.Offset.Dispose();
        }
    }
}
