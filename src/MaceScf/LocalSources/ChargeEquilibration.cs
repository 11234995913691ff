using MaceScf.Electrostatics;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.LocalSources;

/// The charge equilibration of MACEQEq (docs/math.md, "Local-source models"): the charges minimise
/// Σ_i χ_i q_i + ½ Σ_i J_i q_i² + E_Coul[q] at Σ_i q_i = Q per structure. E_Coul[q] = ½ qᵀ A q is quadratic in the charges (every
/// boundary method), so the minimum solves the bordered linear system
/// [A + diag(J), Bᵀ; B, 0] [q; λ] = [−χ; Q], B the [G, N] structure membership.
internal static class ChargeEquilibration
{
    /// The Coulomb Hessian A = ∂²E_Coul/∂q∂q [N, N] (block-diagonal over the structures), of the charges with the other
    /// coefficients zero, at the given geometry. It is a constant of the solve: it carries no graph to the geometry, which the
    /// energy does not need (the energy is stationary in q at fixed Σq, so no change of q that keeps Σq moves it to first order).
    /// Built column by column with Hessian-vector products, one per atom of the largest structure.
    /// <param name="options">density basis and boundary method</param>
    /// <param name="positions">[N, 3] (Å)</param>
    /// <param name="cell">[G, 3, 3]</param>
    /// <param name="pbc">[G, 3] periodicity flags</param>
    /// <param name="batch">[N] structure index of every atom; the atoms of a structure are contiguous</param>
    /// <param name="structures">G</param>
    public static Tensor CoulombHessian(ElectrostaticsOptions options, Tensor positions, Tensor cell, Tensor pbc, Tensor batch, int structures)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        long n = positions.shape[0];
        if (n > 1 && (batch[1..] < batch[..^1]).any().item<bool>())
            throw new ArgumentException("the atoms of each structure must be contiguous", nameof(batch));
        using var plan = new ElectrostaticsPlan(options, positions.detach(), cell.detach(), pbc, batch);
        var q = ones(n, dtype: positions.dtype, device: positions.device).requires_grad_(true);
        var density = nn.functional.pad(q.unsqueeze(1), [0, options.DensityCoefficientCount - 1]);
        var potential = Gradients.Of([plan.Energy(density).sum()], [q], createGraph: true)[0];
        var counts = bincount(batch, minlength: structures);
        var start = (counts.cumsum(0) - counts).index_select(0, batch);
        var local = HeldScalars.Range(n, device: positions.device) - start;
        int largest = (int)counts.max().item<long>();
        var columns = new Tensor[largest];
        for (int j = 0; j < largest; j++)
        {
            var pick = local.EqualTo(j).to_type(positions.dtype);
            columns[j] = Gradients.Of([potential], [q], [pick], retainGraph: true)[0].detach();
        }
        // columns[j][i] = A[i, start(i) + j] while j < the size of i's structure (otherwise 0): scatter into place.
        var offsets = HeldScalars.Range(largest, device: positions.device);
        var inside = offsets.unsqueeze(0) < counts.index_select(0, batch).unsqueeze(1);
        using var last = (n - 1).ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        var target = start.unsqueeze(1).Plus(offsets.unsqueeze(0)).clamp(max: last);
        var values = stack(columns, 1) * inside.to_type(positions.dtype);
        return zeros(n, n, dtype: positions.dtype, device: positions.device).scatter_add(1, target, values).MoveToOuterDisposeScope();
    }

    /// The equilibrated charges [N].
    /// <param name="hessian">[N, N] Coulomb Hessian (<see cref="CoulombHessian"/>)</param>
    /// <param name="electronegativity">[N] χ (V), the external potential included</param>
    /// <param name="hardness">[N] J (V/e)</param>
    /// <param name="totalCharge">[G] Q of every structure</param>
    /// <param name="batch">[N] structure index of every atom</param>
    public static Tensor Solve(Tensor hessian, Tensor electronegativity, Tensor hardness, Tensor totalCharge, Tensor batch)
    {
        using var scope = NewDisposeScope();
        long n = electronegativity.shape[0], g = totalCharge.shape[0];
        var membership = nn.functional.one_hot(batch, g).to_type(hessian.dtype);
        var top = cat([hessian.Plus(diag(hardness)), membership], 1);
        var bottom = cat([membership.T, zeros(g, g, dtype: hessian.dtype, device: hessian.device)], 1);
        var rhs = cat([-electronegativity, totalCharge.to_type(hessian.dtype)], 0);
        return linalg.solve(cat([top, bottom], 0), rhs)[..(int)n].MoveToOuterDisposeScope();
    }
}
