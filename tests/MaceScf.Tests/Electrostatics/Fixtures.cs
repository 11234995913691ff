using MaceScf.Electrostatics;
using static TorchSharp.torch;

namespace MaceScf.Tests.Electrostatics;

/// Shared structures and helpers for the electrostatics tests.
static class Fixtures
{
    public static Tensor T(double[,] values) => tensor(values, dtype: float64);
    public static Tensor T(double[] values) => tensor(values, dtype: float64);

    /// The independent 4-atom triclinic example of the notes (§7.2).
    public static readonly double[,] TriclinicCell = { { 12, 0, 0 }, { 0.5, 11, 0 }, { 0, 0.3, 13 } };
    public static readonly double[,] TriclinicPositions = { { 1.0, 1.2, 0.9 }, { 1.9, 1.5, 1.1 }, { 0.6, 2.0, 0.4 }, { 6.0, 6.5, 7.0 } };
    public static readonly double[,] TriclinicCoefficients =
    {
        { -0.8, 0.05, -0.02, 0.10 }, { 0.4, 0.01, 0.03, -0.02 }, { 0.4, -0.02, 0.00, 0.01 }, { 0.0, 0.20, -0.10, 0.05 },
    };

    public static double Scalar(Tensor t) => t.item<double>();

    public static double[] Row(Tensor t, int row) => t[row].data<double>().ToArray();

    public static double MaxAbs(Tensor t) => t.abs().max().item<double>();

    public static Tensor Pbc(bool x, bool y, bool z) => tensor(new[] { x, y, z });

    /// A small charged-and-polar molecule (a water-like trimer) with L = 1 coefficients.
    public static readonly double[,] MoleculePositions = { { 0.0, 0.0, 0.0 }, { 0.96, 0.1, -0.2 }, { -0.3, 0.92, 0.15 }, { 2.4, -0.6, 0.8 } };
    public static readonly double[,] MoleculeCoefficients =
    {
        { -0.7, 0.05, 0.02, -0.03 }, { 0.35, -0.01, 0.04, 0.02 }, { 0.45, 0.03, -0.02, 0.01 }, { 0.2, 0.1, 0.05, -0.08 },
    };

    /// Cubic cell of edge a.
    public static Tensor Cubic(double a) => T(new double[,] { { a, 0, 0 }, { 0, a, 0 }, { 0, 0, a } });

    /// dE/dx by central differences of a scalar function of a tensor.
    public static double[] CentralDifferences(Func<Tensor, double> f, Tensor x, double h)
    {
        var flat = x.detach().clone().reshape(-1);
        var result = new double[flat.shape[0]];
        for (int i = 0; i < result.Length; i++)
        {
            var plus = flat.clone(); plus[i] = plus[i].Plus(h);
            var minus = flat.clone(); minus[i] = minus[i].Minus(h);
            result[i] = (f(plus.reshape(x.shape)) - f(minus.reshape(x.shape))) / (2 * h);
        }
        return result;
    }

    public static double EnergyOf(ElectrostaticsOptions options, Tensor positions, Tensor p, Tensor? cell, Tensor? pbc = null)
    {
        using var scope = NewDisposeScope();
        using var plan = new ElectrostaticsPlan(options, positions, cell, pbc);
        return plan.Energy(p).sum().item<double>();
    }
}
