using MaceScf.Calculators;
using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// The teacher's exact linear response (docs/response.md), in the units and conventions of the model's
/// <see cref="FixedPoint.ResponseTensors"/>: Born charges Z*_i,αβ = dP_α/dR_iβ (e) in the structure's own ensemble,
/// polarizabilities α_αβ = dP_α/dE_β (e·Å²/V, E = −external_field) at constant charge and at constant Fermi level.
/// <param name="BornCharges">[N, 9], row-major per atom</param>
/// <param name="Polarizability">α at constant charge, row-major</param>
/// <param name="PolarizabilityAtFermiLevel">α at constant Fermi level, row-major</param>
internal sealed record TeacherResponse(double[,] BornCharges, double[,] Polarizability, double[,] PolarizabilityAtFermiLevel)
{
    /// The stationarity conditions g(p; R, G) + μc = 0 (with cᵀp = Q at constant charge) have the symmetric matrix
    /// K = [H c; cᵀ 0] (or H at constant μ). With u_α = ∂P_α/∂p and w_α = K⁻¹[u_α; 0]:
    /// dP_α/dR = ∂P_α/∂R − w_αᵀ ∂g/∂R and, since ∂g/∂G_β = u_β, dP_α/dG_β = −w_αᵀu_β, so α = K⁻¹-weighted u_αᵀu_β.
    public static TeacherResponse Of(TeacherParameters parameters, SyntheticStructure structure)
    {
        if (structure.Electrodes is not null) throw new ArgumentException("the teacher's response is not defined with electrodes");
        using var scope = NewDisposeScope();
        using var functional = new TeacherFunctional(parameters, structure);
        using var form = QuadraticForm.Of(functional);
        var (solution, _) = DensitySolver.Solve(form, structure.Constraint);
        int n = functional.AtomCount, k = functional.CoefficientCount, size = n * k;
        var flat = solution.reshape(-1).detach().requires_grad_(true);
        var coefficients = flat.view(n, k);
        var gradient = Gradients.Of([functional.Energy(coefficients)], [flat], retainGraph: true, createGraph: true)[0];
        var dipole = functional.TotalDipole(coefficients);
        var u = stack(Enumerable.Range(0, 3).Select(a => Gradients.Of([dipole[a]], [flat], retainGraph: true)[0].detach()).ToArray());
        var charges = DensitySolver.ChargeIndicator(size, k);
        var bordered = cat([cat([form.Hessian, charges.unsqueeze(1)], 1), cat([charges, zeros(1, dtype: float64)]).unsqueeze(0)], 0);
        var atCharge = linalg.solve(bordered, cat([u, zeros(3, 1, dtype: float64)], 1).T).T.narrow(1, 0, size);
        var atFermiLevel = linalg.solve(form.Hessian, u.T).T;
        var adjoint = structure.Constraint.IsFixedFermiLevel ? atFermiLevel : atCharge;
        var rows = Enumerable.Range(0, 3).Select(a =>
            Gradients.Of([dipole[a] - adjoint[a].dot(gradient)], [functional.Positions], retainGraph: true)[0]).ToArray();
        var born = stack(rows, 1).reshape(n, 9);
        return new TeacherResponse(TensorArrays.ToMatrix(born), TensorArrays.ToMatrix(atCharge.matmul(u.T)),
            TensorArrays.ToMatrix(atFermiLevel.matmul(u.T)));
    }
}
