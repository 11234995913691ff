using MaceScf.Models;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.FixedPoint;

/// Born effective charges and polarizabilities of a converged SCF solution by implicit differentiation, no unrolling
/// (docs/response.md). At the solution y* = [p, μ] (constant charge) or y* = p (constant Fermi level) the residual
/// R(y; r, G) of docs/math.md, "Implicit differentiation", vanishes, so for the dipole P(y, r)
///   dP_α/dx = ∂P_α/∂x − w_αᵀ ∂R/∂x,   Jᵀ w_α = ∂P_α/∂y,   J = ∂R/∂y,
/// for x the positions and the applied field G (= −E). One adjoint GMRES solve per Cartesian direction α (three per
/// ensemble) and one backward pass of the scalar P_α − w_αᵀR give the whole row α of Z* for every atom and of ∂P/∂G.
internal static class LinearResponse
{
    /// The response tensors asked for. <paramref name="density"/> [N, K] and <paramref name="fermiLevel"/> [G] are the SCF's
    /// solution; <paramref name="status"/> its outcome per structure.
    public static ResponseTensors Compute(FixedPointModel model, SystemInputs inputs, Tensor density, Tensor fermiLevel, Tensor targetCharge,
        bool constantCharge, IReadOnlyList<ScfStatus> status, bool bornCharges, bool polarizability)
    {
        using var scope = NewDisposeScope();
        var dtype = model.Dtype;
        var positions = inputs.Graph.Positions.to_type(dtype).detach().clone().requires_grad_(true);
        var field = (inputs.ExternalField?.to_type(dtype) ?? zeros(inputs.NumGraphs, 3, dtype: dtype)).detach().clone().requires_grad_(true);
        using var geometry = model.Prepare(inputs.WithGeometry(positions, inputs.Graph.Cell) with { ExternalField = field });
        var krylov = new KrylovReport();
        Tensor? born = null, atCharge = null, atFermiLevel = null;
        foreach (bool ensemble in new[] { constantCharge, !constantCharge })
        {
            bool own = ensemble == constantCharge;
            if (!polarizability && !(own && bornCharges)) continue;
            var (dPdr, dPdG) = Derivatives(geometry, positions, field, density.detach(), fermiLevel.detach(), targetCharge, ensemble, krylov);
            if (own && bornCharges) born = dPdr;
            if (polarizability)
            {
                // α = ∂P/∂E = −∂P/∂G: the applied field's parameter is the gradient of the potential.
                if (ensemble) atCharge = -dPdG;
                else atFermiLevel = -dPdG;
            }
        }
        string? solve = krylov.WorstResidual > LinearizedSolution.KrylovResidualLimit
            ? $"response solve poor (GMRES relative residual {krylov.WorstResidual:E1})"
            : null;
        var failure = status.Select(s => s == ScfStatus.Converged ? solve : $"SCF {ScfResult.Name(s)}").ToArray();
        foreach (var t in new[] { born, atCharge, atFermiLevel }.OfType<Tensor>()) t.MoveToOuterDisposeScope();
        return new ResponseTensors(born, atCharge, atFermiLevel, failure);
    }

    /// (dP/dr [N, 3 (α), 3 (β)], dP/dG [G, 3 (α), 3 (β)]) in one ensemble: three adjoint solves, three backward passes.
    static (Tensor Positions, Tensor Field) Derivatives(FixedPointGeometry geometry, Tensor positions, Tensor field, Tensor density,
        Tensor fermiLevel, Tensor targetCharge, bool constantCharge, KrylovReport krylov)
    {
        long n = density.shape[0], k = density.shape[1];
        var reference = constantCharge ? cat([density.flatten(), fermiLevel]) : density.flatten();
        var y = reference.clone().requires_grad_(true);
        var residual = LinearizedSolution.Residual(geometry, y, n, k, fermiLevel, constantCharge ? FermiRegions.Whole(geometry.Batch, targetCharge) : null);
        var dipole = geometry.Plan.TotalDipole(y.narrow(0, 0, n * k).view(n, k));
        Tensor Transposed(Tensor v) => Gradients.Of([residual], [y], [v], retainGraph: true)[0].detach();
        int iterations = (int)Math.Min(y.shape[0], LinearizedSolution.KrylovIterations);
        var byPosition = new Tensor[3];
        var byField = new Tensor[3];
        for (int a = 0; a < 3; a++)
        {
            var component = dipole.select(1, a).sum();
            var rhs = Gradients.Of([component], [y], retainGraph: true)[0].detach();
            var (adjoint, relative) = Gmres.Solve(Transposed, rhs, LinearizedSolution.KrylovTolerance, iterations);
            krylov.Record(relative);
            var lagrangian = component - adjoint.dot(residual);
            var grads = Gradients.Of([lagrangian], [positions, field], retainGraph: true, allowUnused: true);
            byPosition[a] = (grads[0] ?? zeros_like(positions)).detach();
            byField[a] = (grads[1] ?? zeros_like(field)).detach();
        }
        return (stack(byPosition, 1), stack(byField, 1));
    }
}
