using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// The teacher's exact capacitance matrix of a structure with electrodes
/// (docs/response.md, "Electrodes at a potential difference"): C_rs = −∂Q_r/∂μ_s (e/V), r, s = 1..R. The teacher is quadratic, so the electrode charges are exactly linear in
/// the electrode Fermi levels, Q_r(μ) = Q_r(μ') − Σ_s C_rs (μ_s − μ'_s), at any geometry and electrolyte charge. μ_s enters the
/// stationarity conditions K[p; μ₀] = [−b − Σ_s μ_s c_s; Q₀] (K = [H c₀; c₀ᵀ 0], or H when the electrolyte has a fixed
/// μ), so C_rs = [c_r; 0]ᵀ K⁻¹ [c_s; 0]: symmetric, positive definite for a stable teacher.
internal static class TeacherCapacitance
{
    public static double[,] Of(TeacherParameters parameters, SyntheticStructure structure)
    {
        var electrodes = structure.Electrodes ?? throw new ArgumentException("the structure has no electrodes");
        using var scope = NewDisposeScope();
        using var functional = new TeacherFunctional(parameters, structure);
        using var form = QuadraticForm.Of(functional);
        int k = form.CoefficientCount;
        bool bordered = !structure.Constraint.IsFixedFermiLevel;
        var matrix = bordered ? DensitySolver.Bordered(form.Hessian, electrodes.Indicator(0, k)) : form.Hessian;
        var columns = stack(Enumerable.Range(1, electrodes.Count)
            .Select(r => bordered ? cat([electrodes.Indicator(r, k), zeros(1, dtype: float64)]) : electrodes.Indicator(r, k)).ToArray(), 1);
        var c = columns.T.matmul(linalg.solve(matrix, columns));
        return Calculators.TensorArrays.ToMatrix(c.Plus(c.T).Times(0.5));
    }
}
