using static TorchSharp.torch;

namespace MaceScf.Electrostatics;

/// Periodic Coulomb interaction of Gaussian multipoles in one cell, summed in reciprocal space
/// with no Ewald splitting (docs/math.md, "Reciprocal-space sums"). Everything that depends only on the geometry — the
/// k-vectors, cos/sin(k·r_i) and the basis transforms — is built once; each evaluation for a new
/// density costs two [C,n]×[n,K] products (structure factor) and two [n,K]×[K,F] products (features).
/// cos/sin are stored [n, K] so that these products and the backward pass of k·r are all plain
/// (non-transposed) matrix products.
/// Energies and features include each Gaussian's interaction with itself and its images.
sealed class ReciprocalSpaceSum : IReciprocalSum
{
    readonly Tensor _cos, _sin;                 // [n, K]
    readonly Tensor _sourceRe, _sourceIm;       // [C, K]: φ̃ = (−i)^l |φ̃| split as Re/Im of the phase
    readonly Tensor _receiverRe, _receiverIm;   // [K, F] in output layout
    readonly Tensor _energyWeight;              // [K]: 1/(Ω ε0 k²), ±k pairs counted by the half space

    public ReciprocalSpaceSum(ElectrostaticsOptions options, FieldFeatureLayout layout, Tensor positions, Tensor cell)
    {
        using var scope = NewDisposeScope();
        var indices = ReciprocalLattice.HalfSpaceIndices(cell, options.KspaceCutoff);
        KVectorCount = (int)indices.shape[0];
        var k = indices.to(cell.dtype).matmul(ReciprocalLattice.Vectors(cell));
        var volume = linalg.det(cell);
        var phase = positions.matmul(k.T);
        _cos = phase.cos();
        _sin = phase.sin();
        _energyWeight = CoulombConstants.FieldConstant.Over(volume * k.Squared().sum(1));

        var (sourcePhaseRe, sourcePhaseIm) = GaussianMultipoleBasis.FourierPhase(options.DensityMaxL);
        var source = GaussianMultipoleBasis.FourierMagnitude(k, options.SmearingWidth, options.DensityMaxL,
            GaussianMultipoleBasis.MultipoleNormalisation);
        _sourceRe = (source * tensor(sourcePhaseRe, dtype: source.dtype)).T.contiguous();
        _sourceIm = (source * tensor(sourcePhaseIm, dtype: source.dtype)).T.contiguous();

        var (receiverPhaseRe, receiverPhaseIm) = GaussianMultipoleBasis.FourierPhase(layout.MaxL);
        var receiverRaw = stack(layout.Widths.Select(w => GaussianMultipoleBasis.FourierMagnitude(k, w, layout.MaxL,
            GaussianMultipoleBasis.ReceiverNormalisation)).ToArray(), 1);
        var receiver = layout.ToOutputLayout(receiverRaw);
        var rawPhaseRe = tensor(Enumerable.Repeat(receiverPhaseRe, layout.Widths.Length).SelectMany(x => x).ToArray(), dtype: k.dtype);
        var rawPhaseIm = tensor(Enumerable.Repeat(receiverPhaseIm, layout.Widths.Length).SelectMany(x => x).ToArray(), dtype: k.dtype);
        _receiverRe = receiver * layout.ToOutputLayout(rawPhaseRe.unsqueeze(0)).squeeze(0);
        _receiverIm = receiver * layout.ToOutputLayout(rawPhaseIm.unsqueeze(0)).squeeze(0);

        foreach (var t in new[] { _cos, _sin, _sourceRe, _sourceIm, _receiverRe, _receiverIm, _energyWeight })
            t.DetachFromDisposeScope();
    }

    public int KVectorCount { get; }

    /// Re and Im of S(k) = Σ_i Σ_lm p_ilm φ̃_lm(k) e^{−ik·r_i}, each [K].
    (Tensor Re, Tensor Im) StructureFactor(Tensor p)
    {
        var pc = p.T.matmul(_cos);
        var ps = p.T.matmul(_sin);
        // (α + iβ)(Pc − i Ps) = αPc + βPs + i(βPc − αPs), α + iβ = φ̃ per coefficient.
        var re = (_sourceRe * pc).Plus(_sourceIm * ps).sum(0L);
        var im = (_sourceIm * pc - _sourceRe * ps).sum(0L);
        return (re, im);
    }

    /// E = 1/(2Ωε0) Σ_{k≠0} |S(k)|²/k² (docs/math.md, "Reciprocal-space sums").
    public Tensor Energy(Tensor p)
    {
        var (re, im) = StructureFactor(p);
        return (_energyWeight * re.Squared().Plus(im.Squared())).sum();
    }

    /// Projections on the receiver basis, [n, F]: V = (2/Ωε0) Σ_half Re[S conj(ψ̃) e^{ik·r}]/k² (docs/math.md, "Reciprocal-space sums").
    public Tensor Features(Tensor p)
    {
        var (re, im) = StructureFactor(p);
        var a = (_energyWeight.Times(2) * re).unsqueeze(1);
        var b = (_energyWeight.Times(2) * im).unsqueeze(1);
        // Re[(A + iB)(α − iβ)(c + is)] = (αA + βB) c + (βA − αB) s
        var cosWeights = (_receiverRe * a).Plus(_receiverIm * b);
        var sinWeights = _receiverIm * a - _receiverRe * b;
        return _cos.matmul(cosWeights).Plus(_sin.matmul(sinWeights));
    }

    /// Electrostatic potential at the atoms, [n] (mean potential of the cell is zero).
    public Tensor Potential(Tensor p)
    {
        var (re, im) = StructureFactor(p);
        var a = _energyWeight.Times(2) * re;
        var b = _energyWeight.Times(2) * im;
        return _cos.matmul(a) - _sin.matmul(b);
    }

    public void Dispose()
    {
        foreach (var t in new[] { _cos, _sin, _sourceRe, _sourceIm, _receiverRe, _receiverIm, _energyWeight }) t.Dispose();
    }
}
