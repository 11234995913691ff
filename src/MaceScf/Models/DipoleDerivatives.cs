using MaceScf.FixedPoint;
using static TorchSharp.torch;

namespace MaceScf.Models;

/// Born charges and polarizability of a model's dipole by automatic differentiation of the graph it was computed on
/// (docs/response.md): Z*_i,αβ = ∂P_α/∂r_iβ and α_αβ = ∂P_α/∂E_β = −∂P_α/∂G_β (G = external_field, the gradient of the applied
/// potential). Three backward passes, one per Cartesian component of P; with <c>createGraph</c> the results can be
/// differentiated again (training on them).
internal static class DipoleDerivatives
{
    /// <param name="dipole">[G, 3] P of every structure</param>
    /// <param name="positions">[N, 3] positions P was computed from (they require grad), or null for no Born charges</param>
    /// <param name="field">[G, 3] applied-field leaf P was computed from, or null for no polarizability</param>
    /// <param name="createGraph">keep the derivatives on the graph</param>
    public static ResponseTensors Of(Tensor dipole, Tensor? positions, Tensor? field, bool createGraph)
    {
        using var scope = NewDisposeScope();
        var wrt = new[] { positions, field }.OfType<Tensor>().ToList();
        var byPosition = new Tensor[3];
        var byField = new Tensor[3];
        for (int a = 0; a < 3; a++)
        {
            var grads = Gradients.Of([dipole.select(1, a).sum()], wrt, retainGraph: true, createGraph: createGraph, allowUnused: true);
            int k = 0;
            if (positions is not null) byPosition[a] = grads[k++] ?? zeros_like(positions);
            if (field is not null) byField[a] = -(grads[k] ?? zeros_like(field));
        }
        var born = positions is null ? null : stack(byPosition, 1).MoveToOuterDisposeScope();
        var alpha = field is null ? null : stack(byField, 1).MoveToOuterDisposeScope();
        return new ResponseTensors(born, alpha, null, new string?[dipole.shape[0]]);
    }
}
