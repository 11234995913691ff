using MaceScf.Electrostatics;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// A Kerker-type preconditioner for the implicit solves of a one-body update in fully periodic cells
/// (docs/fixed-point.md, "Forces: implicit or unrolled"). The slowest modes of J = [I 0] − A·T on a long cell are the
/// long-wavelength charge waves: a charge wave q_j = cos(G·r_j) makes a potential φ ∝ 1/G² at every atom, and each atom's charge answers to the potential and to its gradient,
///   Δq_i = g_i φ(r_i) + e_i·∇φ(r_i),  g_i = Σ_f A_i0f ∂V̂_if/∂μ,  e_ia = Σ_f A_i0f ∂V̂_if/∂E_a,
/// with g the charge response to a uniform potential (the constant-charge SCF's Fukui response) and e that to a uniform field. With
/// φ the Coulomb sum over the shortest G, seen by the features of width w through exp(−G²(σ² + w²)/2) (σ the density's smearing),
/// on the charge rows
///   J ≈ I + U S Zᵀ,  Z = [cos(G·r), sin(G·r)] [n, 2m],  U = Σ_w (g_w ⊙ Z + [−(e_w·G) sin(G·r), (e_w·G) cos(G·r)]) exp(−G²(σ² + w²)/2),
///   S = s / G²,
/// with one scale s (the Coulomb constant over the volume, with the sign of J − I = −A·T) fitted to one evaluation of T on the
/// longest wave of the cell (on the trained water model it came out within 1 % of −8πk_e/V, with a cosine of 1.0000). The
/// exact inverse of this model (Woodbury) is
///   M⁻¹ = I − U C⁻¹ Zᵀ,  M⁻ᵀ = I − Z C⁻ᵀ Uᵀ,  C = S⁻¹ + Zᵀ U (2m × 2m),
/// applied to the charge rows only (the other density components and μ pass unchanged): the right-preconditioned GMRES solves
/// J M⁻¹ z = b, so the solution and the residual it stops on are J's own; M only changes how many products it takes.
/// Structures whose longest wave the model does not describe (cosine below <see cref="MinimumCorrelation"/>) get none.
/// It owns its tensors (docs/design.md, "Tensor lifetimes"): <see cref="Dispose"/> frees them, and one left to the dispose scope it
/// was made in is freed with that scope (the implicit solves' operator, whose backward pass applies it after the solve returned).
internal sealed class LongWavelengthPreconditioner : IDisposable
{
    /// Modes are kept while the model's |s ḡ| n / (2 G²), about the wave's eigenvalue of J − I from the potential response, is at least
    /// this (1 and 3 gave the same product counts on the trained water model at 480 and 2,304 atoms, docs/benchmarks.md).
    public const double SmallestCoupling = 2.0;

    /// At most this many half-space G per structure (C is 2m × 2m, inverted once).
    public const int MaxModes = 512;

    /// The fit of the longest wave must explain it this well (|cosine| between the model's and the true (J − I) z).
    public const double MinimumCorrelation = 0.9;

    private readonly long _n, _k;
    private readonly List<(Tensor Atoms, Tensor Waves, Tensor Responses, Tensor Core)> _structures;

    private LongWavelengthPreconditioner(long n, long k, List<(Tensor, Tensor, Tensor, Tensor)> structures)
    {
        _n = n;
        _k = k;
        _structures = structures;
    }

    /// Half-space G kept over all structures.
    public int Modes => _structures.Sum(s => (int)s.Waves.shape[1] / 2);

    /// The preconditioner of J at the one-body response A [N, K, F], or null when no structure is fully periodic or fits the model.
    /// Its tensors are in the caller's dispose scope; the fit's temporaries are freed here.
    public static LongWavelengthPreconditioner? For(FixedPointGeometry geometry, Tensor response, long n, long k, long unknowns, FermiRegions? regions)
    {
        using var noGrad = no_grad();
        using var fit = NewDisposeScope();
        var charge = response.select(1, 0);
        var layout = geometry.Plan.Layout;
        var widthOf = tensor(layout.WidthOfOutput, device: response.device);
        var uniformPotential = geometry.FermiLevelFeatures(ones(n, dtype: response.dtype, device: response.device));
        var uniformField = Enumerable.Range(0, 3).Select(geometry.UniformFieldFeatures).ToArray();
        // Per feature width w: the charge response to a uniform potential [N] and to a uniform field [N, 3] through that width's features.
        var widths = Enumerable.Range(0, layout.Widths.Length).Select(w =>
        {
            var mask = widthOf.EqualTo(w).to(response.dtype);
            var masked = charge * mask;
            return (Variance: layout.Widths[w] * layout.Widths[w] + Math.Pow(geometry.Plan.Options.SmearingWidth, 2),
                Potential: (masked * uniformPotential).sum(1), Field: stack(uniformField.Select(f => (masked * f).sum(1)).ToArray(), 1));
        }).ToArray();
        var potentialResponse = widths.Select(w => w.Potential).Aggregate((a, b) => a.Plus(b));
        var structures = new List<(Tensor, Tensor, Tensor, Tensor)>();
        foreach (var (_, atoms, positions, cell) in geometry.Plan.PeriodicStructures())
        {
            using var scope = NewDisposeScope();
            var g = potentialResponse.index_select(0, atoms);
            var atomWidths = widths.Select(w => (w.Variance, w.Potential.index_select(0, atoms), w.Field.index_select(0, atoms))).ToArray();
            var reciprocal = ReciprocalLattice.Vectors(cell);
            double shortest = reciprocal.norm(1).min().Value();
            var longest = ReciprocalLattice.HalfSpaceIndices(cell, shortest * (1 + 1e-9)).narrow(0, 0, 1).to(positions.dtype).matmul(reciprocal);
            // (J − I) z on the charge rows for the longest wave z, by one evaluation of T, against the model with s = 1.
            var (waves, responses) = WavesOf(positions, longest, atomWidths);
            var z = waves.select(1, 0);
            var u = zeros(unknowns, dtype: positions.dtype, device: positions.device);
            u.narrow(0, 0, n * k).view(n, k).select(1, 0).index_copy_(0, atoms, z);
            var exact = -(charge * OneBodyJacobian.LinearFeatures(geometry, u, n, k, regions)).sum(1).index_select(0, atoms);
            var model = responses.matmul(waves.t().matmul(z)).DividedBy(longest.Squared().sum().Value());
            double slope = exact.dot(model).Value() / model.dot(model).Value();
            double correlation = exact.dot(model).Value() / (exact.norm().Value() * model.norm().Value());
            if (!double.IsFinite(slope) || !(Math.Abs(correlation) >= MinimumCorrelation)) continue;
            double coupling = Math.Abs(slope * g.mean().Value()) * atoms.shape[0] / 2;
            double cutoff = Math.Sqrt(coupling / SmallestCoupling);
            if (cutoff < shortest) continue;
            var vectors = ReciprocalLattice.HalfSpaceIndices(cell, cutoff).to(positions.dtype).matmul(reciprocal);
            var squares = vectors.Squared().sum(1);
            if (squares.shape[0] > MaxModes)
            {
                var order = squares.argsort().narrow(0, 0, MaxModes);
                (vectors, squares) = (vectors.index_select(0, order), squares.index_select(0, order));
            }
            (waves, responses) = WavesOf(positions, vectors, atomWidths);
            var core = diag(cat([squares, squares]).DividedBy(slope)).Plus(waves.t().matmul(responses));
            var inverse = linalg.inv(core);
            if (!inverse.isfinite().all().item<bool>()) continue;
            structures.Add((atoms.alias().MoveToOuterDisposeScope(), waves.MoveToOuterDisposeScope(), responses.MoveToOuterDisposeScope(),
                inverse.MoveToOuterDisposeScope()));
        }
        if (structures.Count == 0) return null;
        var preconditioner = new LongWavelengthPreconditioner(n, k, structures);
        foreach (var t in preconditioner.Tensors()) t.MoveToOuterDisposeScope();
        return preconditioner;
    }

    /// Z = [cos(G·r), sin(G·r)] and U = Σ_w (g_w ⊙ Z + e_w·∇Z) exp(−G²(σ² + w²)/2), both [n, 2m], for G [m, 3]: the features of width w
    /// see the Gaussian charges of width σ through a Gaussian of width w.
    static (Tensor Waves, Tensor Responses) WavesOf(Tensor positions, Tensor vectors, (double Variance, Tensor Potential, Tensor Field)[] widths)
    {
        var phases = positions.matmul(vectors.t());
        var (cos, sin) = (phases.cos(), phases.sin());
        var waves = cat([cos, sin], 1);
        var squares = vectors.Squared().sum(1);
        var responses = zeros_like(waves);
        foreach (var (variance, g, e) in widths)
        {
            var along = e.matmul(vectors.t());
            var damping = squares.Times(-variance / 2).exp().repeat(2);
            responses = responses.Plus((g.unsqueeze(1) * waves).Plus(cat([-along * sin, along * cos], 1)) * damping);
        }
        return (waves, responses);
    }

    /// M⁻¹ u.
    public Tensor Apply(Tensor u) => Correct(u, transposed: false);

    /// M⁻ᵀ v.
    public Tensor ApplyTransposed(Tensor v) => Correct(v, transposed: true);

    /// M⁻¹ on the density rows alone, f [N, K] ↦ [N, K]: the Anderson mixer's residual (the μ rows, which M passes unchanged, are not
    /// part of it).
    public Tensor ApplyToDensity(Tensor f)
    {
        using var scope = NewDisposeScope();
        return Apply(f.flatten()).view(_n, _k).MoveToOuterDisposeScope();
    }

    /// The tensors it keeps: per structure its atoms, Z, U and C⁻¹.
    internal IEnumerable<Tensor> Tensors() => _structures.SelectMany(s => new[] { s.Atoms, s.Waves, s.Responses, s.Core });

    /// Frees its tensors.
    public void Dispose()
    {
        foreach (var t in Tensors()) t.Dispose();
    }

    Tensor Correct(Tensor u, bool transposed)
    {
        using var noGrad = no_grad();
        var charges = u.narrow(0, 0, _n * _k).view(_n, _k).select(1, 0);
        var change = zeros_like(charges);
        foreach (var (atoms, waves, responses, core) in _structures)
        {
            var q = charges.index_select(0, atoms);
            var correction = transposed
                ? waves.matmul(core.t().matmul(responses.t().matmul(q)))
                : responses.matmul(core.matmul(waves.t().matmul(q)));
            change = change.index_add(0, atoms, correction, HeldScalars.One);
        }
        var result = u.clone();
        result.narrow(0, 0, _n * _k).view(_n, _k).select(1, 0).sub_(change);
        return result;
    }
}
