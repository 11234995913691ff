using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// The SCF loop (docs/math.md, "SCF at constant Fermi level" and "SCF at constant charge"): linear mixing to the fixed point of an
/// <see cref="IFixedPointMap"/>, at constant Fermi level or at constant total charge (Fukui projection + Newton on μ), optionally
/// accelerated by Anderson mixing (<see cref="AndersonMixer"/>, docs/fixed-point.md).
internal static class ScfRunner
{
    /// Below this |∂Q/∂μ| a structure's response is treated as zero (docs/math.md, "SCF at constant charge").
    public const double SmallResponse = 1e-6;

    /// Largest change of μ per update (V), as in the Python code (docs/math.md, "SCF at constant charge"): a safeguard for updates that are not linear in
    /// V̂; the default one-body update is, and its Newton step is then exact.
    public const double MaxFermiStep = 1.0;

    /// What the SCF's own backward pass computes, for its failures (docs/errors.md, "Failures in the backward pass").
    public const string ChargeResponse = "the charge response ∂Q/∂μ of the constant-charge SCF";

    /// <param name="map">the fixed-point map at this geometry</param>
    /// <param name="options">the SCF settings (mixing, tolerance, steps, constant charge or μ)</param>
    /// <param name="initialDensity">[N, K]</param>
    /// <param name="initialFermiLevel">[G] (V), or [G·S] with <paramref name="regions"/></param>
    /// <param name="targetCharge">[G] total charge to hold in constant-charge mode (ignored otherwise, and with regions)</param>
    /// <param name="keepGraph">keep the autograd graph through the loop (forces, unrolled training); otherwise every step is
    /// detached</param>
    /// <param name="regions">groups with their own Fermi level (electrodes at a potential difference): each held group keeps its
    /// charge, the others their μ; replaces the constant-charge / constant-μ choice of the options</param>
    public static ScfResult Run(IFixedPointMap map, ScfOptions options, Tensor initialDensity, Tensor initialFermiLevel,
        Tensor? targetCharge = null, bool keepGraph = false, FermiRegions? regions = null)
    {
        options.Validate();
        if (regions is not null) return ConstantCharge(map, options, initialDensity, initialFermiLevel, regions, keepGraph);
        return options.ConstantCharge
            ? ConstantCharge(map, options, initialDensity, initialFermiLevel, FermiRegions.Whole(map.Batch,
                targetCharge ?? throw new ArgumentNullException(nameof(targetCharge), "Constant-charge SCF needs the target charges.")), keepGraph)
            : ConstantFermiLevel(map, options, initialDensity, initialFermiLevel, keepGraph);
    }

    private static ScfResult ConstantFermiLevel(IFixedPointMap map, ScfOptions o, Tensor p0, Tensor mu, bool keepGraph)
    {
        var tracker = new Tracker(map, o);
        using var mixer = AndersonMixer.Create(map, o);
        var p = keepGraph ? p0 : p0.detach();
        var muNode = mu.index_select(0, map.Batch);
        using var precondition = mixer is not null && !keepGraph ? map.MixingPreconditioner(p, mu, null) : null;
        for (int t = 0; t < o.NumScfSteps - 1; t++)
        {
            using var scope = NewDisposeScope();
            // Without use_autograd_forces only a step with index num_scf_steps − 2 keeps its graph (docs/fixed-point.md, "Forces: implicit or unrolled (`forces_method`)"); a step that keeps
            // none runs without autograd.
            bool keep = keepGraph && (o.UseAutogradForces || t == o.NumScfSteps - 2);
            using var noGrad = keep ? null : torch.no_grad();
            var step = map.Step(p, muNode);
            // Linear mixing p ← p + α(F(p) − p), F(p) = p_local + Δp (docs/math.md, "SCF at constant Fermi level").
            var next = p.Plus((map.LocalDensity.Plus(step.Update) - p).Times(o.MixingParameter));
            if (!keep) next = next.detach();
            var charge = GraphSum(map, next[.., 0]);
            bool stop = tracker.Record(t, next, p, charge.abs(), null);
            // Anderson mixing extrapolates from the linear step (the SCF returns the last linear step once converged), preconditioned
            // when the map has a preconditioner (the convergence measure above stays the plain linear step's).
            var proposed = stop || mixer is null ? next
                : mixer.Next(p, precondition is null ? next : p.Plus(precondition.ApplyToDensity(map.LocalDensity.Plus(step.Update) - p).Times(o.MixingParameter)));
            // A structure that diverged keeps the density before its diverging update.
            p = tracker.Freeze(proposed, p).MoveToOuterDisposeScope();
            if (stop) break;
        }
        return tracker.Finish(p, mu, map.Features(p, muNode));
    }

    /// The constant-charge SCF per group of <paramref name="regions"/> (one group per structure: the plain constant-charge SCF):
    /// held groups move their μ to keep their charge, the others keep theirs.
    private static ScfResult ConstantCharge(IFixedPointMap map, ScfOptions o, Tensor p0, Tensor mu0, FermiRegions regions, bool keepGraph)
    {
        var tracker = new Tracker(map, o);
        using var mixer = AndersonMixer.Create(map, o);
        var mu = keepGraph ? mu0 : mu0.detach();
        var p = keepGraph ? p0 : p0.detach();
        // Pre-step: Fukui weights at the initial density, then the charge projection of the input density (docs/math.md, "SCF at constant charge").
        Tensor projected;
        (Tensor Fukui, Tensor Response)? constant = null;
        using (var scope = NewDisposeScope())
        {
            var (_, fukui, response) = Respond(map, regions, p, mu, keepGraph);
            projected = Project(regions, p, fukui, Deficit(regions, p));
            if (!keepGraph) projected = projected.detach();
            projected.MoveToOuterDisposeScope();
            // A charge response that depends on neither density nor μ (an update affine in V̂) is differentiated once, not per update.
            if (map.ChargeResponseIsConstant) constant = (fukui.MoveToOuterDisposeScope(), response.MoveToOuterDisposeScope());
        }
        // The Anderson mixer's residual preconditioned on the long charge waves (graph-free SCF only; docs/fixed-point.md, "Anderson mixing").
        using var precondition = mixer is not null && !keepGraph ? map.MixingPreconditioner(projected, mu, regions) : null;
        for (int t = 0; t < o.NumScfSteps - 1; t++)
        {
            using var scope = NewDisposeScope();
            var (update, fukui, response) = constant is { } c ? (Update(map, regions, projected, mu, keepGraph), c.Fukui, c.Response)
                : Respond(map, regions, projected, mu, keepGraph);
            // Only held groups need a charge response.
            using Scalar infinity = double.PositiveInfinity.ToScalar(), smallResponse = SmallResponse.ToScalar(),
                lowest = (-MaxFermiStep).ToScalar(), highest = MaxFermiStep.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
            tracker.RecordResponse(regions.MinPerGraph(torch.where(regions.Held, response.abs(), torch.full_like(response, infinity))));
            var next = projected.Plus((map.LocalDensity.Plus(update) - projected).Times(o.MixingParameter));
            var deficit = Deficit(regions, next);
            var nextProjected = Project(regions, next, fukui, deficit);
            if (!keepGraph)
            {
                next = next.detach();
                nextProjected = nextProjected.detach();
                deficit = deficit.detach();
                response = response.detach();
            }
            // The charge error of a structure: its held groups' |ΔQ|, or (groups at a fixed μ) |Q|, as at constant μ.
            using var groupCharges = regions.Sum(next[.., 0].detach());
            var error = regions.MaxPerGraph(torch.where(regions.Held, deficit.abs(), groupCharges.abs()));
            var heldError = regions.MaxPerGraph(deficit.abs());
            // Linear mixing measures the change of the mixed density between updates; Anderson mixing, whose iterates jump, the
            // change a linear update makes from its input, α·|F(p̃) − p̃| (the same for linear mixing at constant μ).
            bool stop = tracker.Record(t, next, mixer is null ? p : projected, error, heldError);
            // A structure that diverged keeps the density (and μ) before its diverging update.
            p = tracker.Freeze(next, p).MoveToOuterDisposeScope();
            // The returned μ is the one the returned density was computed with (docs/math.md, "SCF at constant charge"): no Newton step after the last update.
            if (stop || t == o.NumScfSteps - 2) break;
            var small = response.abs().lt(smallResponse);
            // Newton on μ for the update's charge (docs/math.md, "SCF at constant charge"): the input p̃ holds Q*, so the mixed density's deficit is
            // ΔQ = α(Q* − Q(F(p̃, μ))), and Δμ = ΔQ/(αR), R = ∂Q(F)/∂μ at fixed input, gives Q(F(p̃, μ + Δμ)) = Q* to first
            // order. The μ error does not feed back through the density: its charge response α g δμ is what the projection
            // removes (f ΔQ = −α g δμ). With no response, step against the deficit: Δμ = −sign(ΔQ). Groups that are not held keep μ.
            var step = torch.where(small, -deficit.sign(), deficit / torch.where(small, torch.ones_like(response), response).Times(o.MixingParameter));
            var muStep = torch.where(regions.Held, step.clamp(lowest, highest), torch.zeros_like(step));
            // Anderson mixing of the projected density; μ keeps its Newton step, which for an update linear in V̂ is already exact
            // (mixing μ too took 1.5–2.3× the updates, docs/fixed-point.md).
            // With a preconditioner the mixer gets the projected preconditioned linear step; the deficit above, and so the μ step and the
            // convergence measure, stay those of the plain linear step.
            if (precondition is not null)
            {
                var preconditioned = projected.Plus(precondition.ApplyToDensity(map.LocalDensity.Plus(update) - projected).Times(o.MixingParameter));
                nextProjected = Project(regions, preconditioned, fukui, Deficit(regions, preconditioned));
            }
            if (mixer is not null) nextProjected = mixer.Next(projected, nextProjected);
            projected = tracker.Freeze(nextProjected, projected).MoveToOuterDisposeScope();
            mu = mu.Plus(tracker.FreezeGroups(muStep, regions)).MoveToOuterDisposeScope();
        }
        return tracker.Finish(p, mu, map.Features(p, regions.OfAtoms(mu)), regions);
    }

    /// Per group, the charge still missing from its target: Q_target − Q(p) for the held groups, 0 for the others.
    private static Tensor Deficit(FermiRegions regions, Tensor p)
    {
        var deficit = regions.Target - regions.Sum(p[.., 0]);
        return torch.where(regions.Held, deficit, torch.zeros_like(deficit));
    }

    /// Δp at (p, μ), without autograd unless the graph is kept.
    private static Tensor Update(IFixedPointMap map, FermiRegions regions, Tensor p, Tensor mu, bool keepGraph)
    {
        using var noGrad = keepGraph ? null : torch.no_grad();
        return map.Step(p, regions.OfAtoms(mu)).Update;
    }

    /// Δp at (p, μ), g_i = ∂(Σ_j Δp_j0)/∂μ_i (<see cref="IFixedPointMap.ChargeResponse"/>), Fukui weights f_i = g_i / R_m(i) and
    /// R_m = Σ_{i∈m} g_i per group m.
    /// A group with |R| below <see cref="SmallResponse"/> gets uniform weights 1/N_m.
    private static (Tensor Update, Tensor Fukui, Tensor Response) Respond(IFixedPointMap map, FermiRegions regions, Tensor p, Tensor mu,
        bool keepGraph)
    {
        Tensor update, grad;
        try
        {
            (update, grad) = map.ChargeResponse(p, regions.OfAtoms(mu), keepGraph);
        }
        catch (BackwardPassException e) when (e.InnerException is { } inner)
        {
            throw new BackwardPassException(inner, ChargeResponse);
        }
        if (!keepGraph) grad = grad.detach();
        var response = regions.Sum(grad);
        var counts = regions.Sum(torch.ones_like(grad));
        using var smallResponse = SmallResponse.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var small = regions.OfAtoms(response.abs().lt(smallResponse));
        var safe = regions.OfAtoms(torch.where(response.abs().lt(smallResponse), torch.ones_like(response), response));
        var fukui = torch.where(small, regions.OfAtoms(counts).reciprocal(), grad / safe);
        return (update, fukui, response);
    }

    /// p with p_i0 += f_i ΔQ_m(i): the charge of every group becomes Q(p) + ΔQ exactly (Σ f = 1 per group).
    private static Tensor Project(FermiRegions regions, Tensor p, Tensor fukui, Tensor deficit)
    {
        var q = p[.., 0].Plus(fukui * regions.OfAtoms(deficit));
        return torch.cat([q.unsqueeze(1), p[.., 1..]], 1);
    }

    /// Σ over each structure's atoms: [N] → [G].
    public static Tensor GraphSum(IFixedPointMap map, Tensor nodeValues) => Data.GraphSum.Of(nodeValues, map.Batch, map.NumGraphs);

    /// Convergence history, per-structure status and the stopping rule. A structure that diverged is frozen (its density
    /// and μ stop changing) while the others go on; the loop stops when every structure converged or diverged.
    private sealed class Tracker(IFixedPointMap map, ScfOptions options)
    {
        private readonly List<Tensor> _history = [];
        private readonly int[] _steps = Enumerable.Repeat(-1, map.NumGraphs).ToArray();
        private readonly bool[] _diverged = new bool[map.NumGraphs];
        private readonly bool[] _unresponsive = new bool[map.NumGraphs];
        private Tensor? _frozenGraphs;
        private int _updates;

        /// Constant charge: notes which structures' charge does not respond to μ at this update (|R| below SmallResponse).
        /// <param name="response">[G] the smallest |R| of each structure's held groups</param>
        public void RecordResponse(Tensor response)
        {
            var r = Doubles(response);
            for (int g = 0; g < r.Length; g++) _unresponsive[g] = r[g] < SmallResponse;
        }

        /// <paramref name="next"/> with the rows of diverged structures replaced by <paramref name="previous"/>.
        public Tensor Freeze(Tensor next, Tensor previous) => _frozenGraphs is null
            ? next
            : torch.where(_frozenGraphs.index_select(0, map.Batch).unsqueeze(1), previous, next);

        /// A per-group step with the entries of the diverged structures' groups set to 0.
        public Tensor FreezeGroups(Tensor step, FermiRegions regions) =>
            _frozenGraphs is null ? step : torch.where(regions.OfGroups(_frozenGraphs), torch.zeros_like(step), step);

        /// Records update t (next vs previous density); chargeError is |Q − Q_ref| per structure, chargeDeficit (constant
        /// charge) also gates convergence. Returns true when the loop must stop.
        public bool Record(int t, Tensor next, Tensor previous, Tensor chargeError, Tensor? chargeDeficit)
        {
            _updates = t + 1;
            using var scope = NewDisposeScope();
            // Structures frozen earlier do not change.
            var change = GraphSum(map, (next - previous).detach().abs().mean([1])) / GraphSum(map, torch.ones(next.shape[0], dtype: next.dtype));
            if (_frozenGraphs is not null) change = torch.where(_frozenGraphs, torch.zeros_like(change), change);
            _history.Add(change.detach().clone().DetachFromDisposeScope());
            var delta = Doubles(change);
            var error = Doubles(chargeError);
            var deficit = chargeDeficit is null ? null : Doubles(chargeDeficit);
            bool allDone = true, newlyDiverged = false;
            for (int g = 0; g < delta.Length; g++)
            {
                if (_diverged[g]) continue;
                bool converged = delta[g] < options.ScfTolerance && (deficit is null || Math.Abs(deficit[g]) < options.ChargeTolerance);
                if (converged && _steps[g] < 0) _steps[g] = t + 1;
                if (!converged) _steps[g] = -1;
                bool diverged = !double.IsFinite(delta[g]) || !double.IsFinite(error[g]) || delta[g] > options.ResolvedDivergenceChange
                    || error[g] > options.DivergenceCharge;
                if (diverged)
                {
                    _diverged[g] = true;
                    _steps[g] = t + 1;
                    newlyDiverged = true;
                }
                allDone &= converged || diverged;
            }
            if (newlyDiverged)
            {
                _frozenGraphs?.Dispose();
                _frozenGraphs = torch.tensor(_diverged, device: next.device).DetachFromDisposeScope();
            }
            return allDone;
        }

        private static double[] Doubles(Tensor t)
        {
            using var d = t.detach().to_type(ScalarType.Float64);
            return d.data<double>().ToArray();
        }

        /// <param name="density">[N, K] the final density</param>
        /// <param name="fermiLevel">[G], or [G·S] for the groups of <paramref name="regions"/></param>
        /// <param name="features">[N, F] the features of the final density</param>
        /// <param name="regions">the groups with their own Fermi level, or null</param>
        public ScfResult Finish(Tensor density, Tensor fermiLevel, Tensor features, FermiRegions? regions = null)
        {
            _frozenGraphs?.Dispose();
            var history = _history.Count == 0
                ? torch.zeros(map.NumGraphs, 0, dtype: density.dtype)
                : torch.stack(_history, 1);
            foreach (var h in _history) h.Dispose();
            var status = Enumerable.Range(0, map.NumGraphs).Select(g => _diverged[g] ? ScfStatus.Diverged
                : _steps[g] >= 0 ? ScfStatus.Converged : _unresponsive[g] ? ScfStatus.NoChargeResponse : ScfStatus.MaxStepsReached).ToArray();
            var steps = Enumerable.Range(0, map.NumGraphs).Select(g => _steps[g] < 0 ? _updates : _steps[g]).ToArray();
            return regions is null || regions.Slots == 1
                ? new ScfResult(density, fermiLevel, features, history, status, steps)
                : new ScfResult(density, regions.Electrolyte(fermiLevel), features, history, status, steps) { RegionFermiLevels = fermiLevel.view(-1, regions.Slots) };
        }
    }
}
