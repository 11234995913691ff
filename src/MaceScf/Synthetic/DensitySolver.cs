using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// Minimises the teacher's energy over the density (docs/synth.md, eqs. 2–3), exactly, by a
/// direct linear solve. The Fermi level μ is the potential of the electron reservoir in the
/// student's convention (v_eff = V_H + v_app + μ): the grand potential Ω = E + μ(Σq − Q) is
/// stationary, so ∂E/∂q_i = −μ for every atom and dΣq/dμ &lt; 0.
///   constant charge:      [H c; cᵀ 0][p; μ] = [−b; Q]
///   constant Fermi level:  H p = −b − μ c
/// with c the indicator of the charge coefficients. With electrodes
/// (docs/response.md, "Electrodes at a potential difference") the constraint holds the electrolyte region only (c = c₀, its charges), and every electrode r adds its
/// reservoir term μ_r Q_r = μ_r c_rᵀp to Ω: b becomes b + Σ_r μ_r c_r.
internal static class DensitySolver
{
    /// The minimising coefficients [N, K] and the Fermi level μ (eV; the electrolyte's with electrodes) as a scalar tensor.
    public static (Tensor Coefficients, Tensor FermiLevel) Solve(QuadraticForm form, ElectronConstraint constraint, TeacherElectrodes? electrodes = null)
    {
        using var scope = NewDisposeScope();
        int size = (int)form.Gradient.shape[0];
        var charges = electrodes is null ? ChargeIndicator(size, form.CoefficientCount) : electrodes.Indicator(0, form.CoefficientCount);
        var gradient = electrodes is null ? form.Gradient : form.Gradient.Plus(electrodes.ReservoirGradient(form.CoefficientCount));
        Tensor p, mu;
        if (constraint.IsFixedFermiLevel)
        {
            mu = tensor(constraint.Value, dtype: float64);
            p = linalg.solve(form.Hessian, -gradient - mu * charges);
        }
        else
        {
            var matrix = Bordered(form.Hessian, charges);
            var rhs = cat([-gradient, tensor(new[] { constraint.Value }, dtype: float64)], 0);
            var solution = linalg.solve(matrix, rhs);
            p = solution[..size];
            mu = solution[size];
        }
        return (p.reshape(-1, form.CoefficientCount).MoveToOuterDisposeScope(), mu.MoveToOuterDisposeScope());
    }

    /// [H c; cᵀ 0].
    public static Tensor Bordered(Tensor hessian, Tensor charges)
    {
        var border = cat([charges, zeros(1, dtype: float64)], 0);
        return cat([cat([hessian, charges.unsqueeze(1)], 1), border.unsqueeze(0)], 0);
    }

    /// c: 1 on the charge coefficient of every atom, 0 on the dipoles, [KN].
    public static Tensor ChargeIndicator(int size, int coefficientCount)
    {
        using var count = coefficientCount.ToScalar(); // held until libtorch returns (docs/design.md, "Scalars")
        return HeldScalars.Range(size, int64).remainder(count).EqualTo(0).to(float64);
    }
}
