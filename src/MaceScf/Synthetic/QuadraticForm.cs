using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// The exact quadratic expansion E(p) = E(0) + bᵀp + ½ pᵀHp of the teacher's energy in the
/// flattened coefficients p ([N, K] → [KN], row-major; K = 4 for L = 1, 1 for L = 0). Since E is quadratic in p (the Coulomb
/// energy is a quadratic form), b = ∇E(0) and each row of H = ∂(∇E)/∂p are exact and constant per
/// geometry; they are obtained by autograd, one Hessian row per coefficient.
internal sealed class QuadraticForm : IDisposable
{
    QuadraticForm(Tensor gradient, Tensor hessian, int coefficientCount)
    {
        Gradient = gradient;
        Hessian = hessian;
        CoefficientCount = coefficientCount;
    }

    /// K, the coefficients per atom.
    public int CoefficientCount { get; }

    /// b = ∇E at p = 0, [KN].
    public Tensor Gradient { get; }

    /// H, [KN, KN].
    public Tensor Hessian { get; }

    public static QuadraticForm Of(TeacherFunctional functional)
    {
        using var scope = NewDisposeScope();
        var origin = zeros(functional.AtomCount, functional.CoefficientCount, dtype: float64).requires_grad_(true);
        var energy = functional.AtomicEnergy(origin).Plus(functional.CoulombEnergy(origin)).Plus(functional.FieldEnergy(origin));
        // Graphs are retained: the plan's geometry tensors depend on the positions and are reused
        // by the force evaluation after the solve.
        var gradient = Gradients.Of([energy], [origin], retainGraph: true, createGraph: true)[0].reshape(-1);
        int size = (int)gradient.shape[0];
        var rows = Enumerable.Range(0, size)
            .Select(k => Gradients.Of([gradient[k]], [origin], retainGraph: true)[0].reshape(-1))
            .ToArray();
        var hessian = stack(rows, 0);
        var symmetric = hessian.Plus(hessian.T).Times(0.5);          // only rounding differs
        return new QuadraticForm(gradient.detach().MoveToOuterDisposeScope(), symmetric.detach().MoveToOuterDisposeScope(),
            functional.CoefficientCount);
    }

    public void Dispose()
    {
        Gradient.Dispose();
        Hessian.Dispose();
    }
}
