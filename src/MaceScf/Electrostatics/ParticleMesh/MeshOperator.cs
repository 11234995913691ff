using static TorchSharp.torch;
using TorchSharp;

namespace MaceScf.Electrostatics;

/// The particle-mesh field features at a fixed geometry as an explicit linear operator of the density coefficients,
/// features = A p ([n, C] → [n, F]), and its transpose Aᵀ g ([n, F] → [n, C]), each one spreading, one FFT, one product with the
/// spectral factors, one inverse FFT and one interpolation with the geometry's kept stencil
/// (docs/electrostatics.md, "The transposed field features"). With the source factors φ_c(k) (density channel c) and the receiver factors ψ_f(k) (feature f,
/// the kernel G(k) included), both Hermitian in k,
///   A p:  Φ_f(k) = ψ_f(k) Σ_c φ_c(k) FFT[Spread(p_c)](k), interpolated from IFFT[Φ_f];
///   Aᵀ g: P_c(k) = conj(φ_c(k)) Σ_f conj(ψ_f(k)) FFT[Spread(g_f)](k), interpolated from IFFT[P_c]:
/// the real-space kernel Σ_k ψ_f φ_c e^{ik·(x−y)} of A is real, so that of Aᵀ is the same with x and y swapped, which is the
/// complex conjugate in k; spreading and interpolation with the same stencil are each other's transposes. The factors vanish at
/// k = 0 and on the Nyquist planes, so the half spectra of both directions are exactly Hermitian.
/// Its tensors are listed by <see cref="Saved"/> so that an autograd node (<see cref="MeshProduct"/>) keeps them as long as the
/// graph needs them, independently of the plan's lifetime.
internal sealed record MeshOperator(long[] Grid, Tensor Sources, Tensor Receivers, BSplineStencil.Block[] Blocks, Tensor? InverseOrder)
{
    /// A p for p [n, C], or Aᵀ g for g [n, F].
    public Tensor Apply(Tensor x, bool transposed)
    {
        using var scope = NewDisposeScope();
        var spectra = ParticleMeshSum.Spectra(BSplineStencil.SpreadWith(Blocks, x, Grid[0] * Grid[1] * Grid[2]), Grid);
        var result = transposed ? ParticleMeshSum.TransposedSpectra(spectra, Sources, Receivers) : ParticleMeshSum.FeatureSpectra(spectra, Sources, Receivers);
        return BSplineStencil.InterpolateWith(Blocks, InverseOrder, ParticleMeshSum.GridValues(result, Grid)).MoveToOuterDisposeScope();
    }

    /// The operator's tensors in a fixed order: the factors, the inverse order when there is one, then per block its weights,
    /// indices and atoms when it has them.
    public List<Tensor> Saved() =>
    [
        Sources, Receivers, .. InverseOrder is null ? Array.Empty<Tensor>() : [InverseOrder],
        .. Blocks.SelectMany(b => b.Rows.Atoms is null ? new[] { b.Weight, b.Index } : [b.Weight, b.Index, b.Rows.Atoms]),
    ];

    /// The operator from the tensors of <see cref="Saved"/> (unpacked from an autograd node) and this one's shapes.
    public MeshOperator FromSaved(IReadOnlyList<Tensor> saved)
    {
        int next = 2;
        var inverse = InverseOrder is null ? null : saved[next++];
        var blocks = Blocks.Select(b =>
        {
            var weight = saved[next++];
            var index = saved[next++];
            var atoms = b.Rows.Atoms is null ? null : saved[next++];
            return new BSplineStencil.Block(b.Rows with { Atoms = atoms }, weight, index);
        }).ToArray();
        return new MeshOperator(Grid, saved[0], saved[1], blocks, inverse);
    }
}

/// x ↦ A x (or Aᵀ x) of a <see cref="MeshOperator"/> as one autograd node whose backward pass is the other product, explicitly:
/// a vector–Jacobian product of the field features in the density costs one application of Aᵀ and keeps no graph of the
/// spreading, the FFTs and the interpolation. Differentiated again (create_graph: Jacobian–vector products by double backward),
/// the backward pass is itself such a node, so every order of derivative in the density stays explicit. The node keeps the
/// operator's tensors (<see cref="MeshOperator.Saved"/>), not the operator.
internal sealed class MeshProduct : autograd.SingleTensorFunction<MeshProduct>
{
    public override string Name => nameof(MeshProduct);

    public static Tensor Of(MeshOperator op, bool transposed, Tensor x) => apply(op, transposed, x);

    /// vars: <see cref="MeshOperator"/>, transposed, x.
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var op = (MeshOperator)vars[0];
        bool transposed = (bool)vars[1];
        ctx.save_for_backward(op.Saved());
        ctx.save_data("operator", op);
        ctx.save_data("transposed", transposed);
        using var noGrad = no_grad();
        return op.Apply(((Tensor)vars[2]).detach(), transposed);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradient)
    {
        try
        {
            using var scope = NewDisposeScope();
            var op = ((MeshOperator)ctx.get_data("operator")).FromSaved(ctx.get_saved_variables());
            bool transposed = !(bool)ctx.get_data("transposed");
            // A graph only when the engine builds one (create_graph): then the product is again a node.
            var product = is_grad_enabled() ? Of(op, transposed, gradient) : op.Apply(gradient.detach(), transposed);
            return [null!, null!, product.MoveToOuterDisposeScope()];
        }
        catch (Exception e)
        {
            // Inside libtorch's backward pass an exception would abort the process: the caller of the gradient throws it (Gradients).
            Gradients.RecordFailure(e);
            return [null!, null!, null!];
        }
    }
}
