using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// Minimises the teacher's energy over the density (docs/synth.md, eqs. 2–3), exactly, by a
/// direct linear solve. The Fermi level μ is the potential of the electron reservoir in the
/// student's convention (v_eff = V_H + v_app + μ): the grand potential Ω = E + μ(Σq − Q) is
/// stationary, so ∂E/∂q_i = −μ for every atom and dΣq/dμ &lt; 0.
///   constant charge:      [H c; cᵀ 0][p; μ] = [−b; Q]
///   constant Fermi level:  H p = −b − μ c
/// with c the indicator of the charge coefficients.
internal static class DensitySolver
{
    /// The minimising coefficients [N, K] and the Fermi level μ (eV) as a scalar tensor.
    public static (Tensor Coefficients, Tensor FermiLevel) Solve(QuadraticForm form, ElectronConstraint constraint)
    {
        using var scope = NewDisposeScope();
        int size = (int)form.Gradient.shape[0];
        var charges = ChargeIndicator(size, form.CoefficientCount);
        Tensor p, mu;
        if (constraint.IsFixedFermiLevel)
        {
            mu = tensor(constraint.Value, dtype: float64);
            p = linalg.solve(form.Hessian, -form.Gradient - mu * charges);
        }
        else
        {
            var border = cat([charges, zeros(1, dtype: float64)], 0);
            var matrix = cat([cat([form.Hessian, charges.unsqueeze(1)], 1), border.unsqueeze(0)], 0);
            var rhs = cat([-form.Gradient, tensor(new[] { constraint.Value }, dtype: float64)], 0);
            var solution = linalg.solve(matrix, rhs);
            p = solution[..size];
            mu = solution[size];
        }
        return (p.reshape(-1, form.CoefficientCount).MoveToOuterDisposeScope(), mu.MoveToOuterDisposeScope());
    }

    /// c: 1 on the charge coefficient of every atom, 0 on the dipoles, [KN].
    public static Tensor ChargeIndicator(int size, int coefficientCount) =>
        (arange(size, dtype: int64) % coefficientCount == 0).to(float64);
}
