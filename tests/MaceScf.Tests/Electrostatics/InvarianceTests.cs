using MaceScf.Electrostatics;
using static TorchSharp.torch;
using static MaceScf.Tests.Electrostatics.Fixtures;
using static MaceScf.Tests.Electrostatics.BoundaryMethodTests;

namespace MaceScf.Tests.Electrostatics;

/// Symmetries of the energy and features.
public class InvarianceTests
{
    static readonly ElectrostaticsOptions Periodic = new() { Method = BoundaryMethod.Pbc, IncludeSelfInteraction = false };

    static Tensor YzxToCartesian(Tensor v) => v.index_select(1, tensor(new long[] { 2, 0, 1 }));
    static Tensor CartesianToYzx(Tensor v) => v.index_select(1, tensor(new long[] { 1, 2, 0 }));

    /// Rotates coefficients [q, p_y, p_z, p_x] by R (Cartesian dipoles d → R d).
    static Tensor RotateCoefficients(Tensor p, Tensor r) =>
        cat(new[] { p[.., TensorIndex.Slice(0, 1)], CartesianToYzx(YzxToCartesian(p[.., TensorIndex.Slice(1, 4)]).matmul(r.T)) }, 1);

    /// Rotates [n, 8] features (2 widths, l ≤ 1): l=1 blocks are (y, z, x) vectors.
    static Tensor RotateFeatures(Tensor f, Tensor r) =>
        cat(new[]
        {
            f[.., TensorIndex.Slice(0, 2)],
            CartesianToYzx(YzxToCartesian(f[.., TensorIndex.Slice(2, 5)]).matmul(r.T)),
            CartesianToYzx(YzxToCartesian(f[.., TensorIndex.Slice(5, 8)]).matmul(r.T)),
        }, 1);

    static Tensor Rotation()
    {
        var axis = T([0.3, -0.5, 0.8]);
        axis = axis / axis.norm();
        double angle = 0.7;
        var k = T(new double[,] { { 0, -axis[2].item<double>(), axis[1].item<double>() }, { axis[2].item<double>(), 0, -axis[0].item<double>() }, { -axis[1].item<double>(), axis[0].item<double>(), 0 } });
        return eye(3, dtype: float64).Plus(k.Times(Math.Sin(angle))).Plus(k.matmul(k).Times((1 - Math.Cos(angle))));
    }

    [Theory]
    [InlineData(BoundaryMethod.Pbc)]
    [InlineData(BoundaryMethod.Realspace)]
    [InlineData(BoundaryMethod.MoleculeInBox)]
    public void RotatingEverythingRotatesForcesAndDipoleFeatures(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var options = Periodic with { Method = method };
        var r = Rotation();
        var p = T(TriclinicCoefficients);
        var a = Evaluate(options, T(TriclinicPositions), p, T(TriclinicCell));
        var b = Evaluate(options, T(TriclinicPositions).matmul(r.T), RotateCoefficients(p, r), T(TriclinicCell).matmul(r.T));
        Assert.Equal(a.Energy, b.Energy, 1e-12);
        Assert.True(MaxAbs(b.Forces - a.Forces.matmul(r.T)) < 1e-12, $"forces {MaxAbs(b.Forces - a.Forces.matmul(r.T))}");
        Assert.True(MaxAbs(b.Features - RotateFeatures(a.Features, r)) < 1e-12, $"features {MaxAbs(b.Features - RotateFeatures(a.Features, r))}");
    }

    [Theory]
    [InlineData(BoundaryMethod.Pbc)]
    [InlineData(BoundaryMethod.MoleculeInBox)]
    public void TranslatingAllAtomsChangesNothing(BoundaryMethod method)
    {
        using var scope = NewDisposeScope();
        var options = Periodic with { Method = method };
        var p = T(MoleculeCoefficients);   // charged: Q = 0.3
        var a = Evaluate(options, T(MoleculePositions).Plus(5), p, T(TriclinicCell));
        var b = Evaluate(options, T(MoleculePositions).Plus(T([5.7, 4.1, 6.3])), p, T(TriclinicCell));
        Assert.Equal(a.Energy, b.Energy, 1e-12);
        Assert.True(MaxAbs(b.Features - a.Features) < 1e-11);
        Assert.True(MaxAbs(b.Forces - a.Forces) < 1e-12);
    }

    [Fact]
    public void PermutingAtomsPermutesOutputs()
    {
        using var scope = NewDisposeScope();
        var order = tensor(new long[] { 2, 0, 3, 1 });
        var p = T(TriclinicCoefficients);
        var a = Evaluate(Periodic, T(TriclinicPositions), p, T(TriclinicCell));
        var b = Evaluate(Periodic, T(TriclinicPositions).index_select(0, order), p.index_select(0, order), T(TriclinicCell));
        Assert.Equal(a.Energy, b.Energy, 1e-12);
        Assert.True(MaxAbs(b.Features - a.Features.index_select(0, order)) < 1e-12);
        Assert.True(MaxAbs(b.Forces - a.Forces.index_select(0, order)) < 1e-12);
    }

    [Fact]
    public void SupercellDoublesTheEnergyAndKeepsTheFeatures()
    {
        using var scope = NewDisposeScope();
        var cell = T(TriclinicCell);
        var p = T(TriclinicCoefficients);
        var positions = T(TriclinicPositions);
        var super = cell.clone();
        super[0] = super[0].Times(2);
        var a = Evaluate(Periodic, positions, p, cell);
        var b = Evaluate(Periodic, cat(new[] { positions, positions.Plus(cell[0]) }, 0), cat(new[] { p, p }, 0), super);
        Assert.Equal(2 * a.Energy, b.Energy, 1e-11);
        Assert.True(MaxAbs(b.Features - cat(new[] { a.Features, a.Features }, 0)) < 1e-11);
        Assert.True(MaxAbs(b.Forces - cat(new[] { a.Forces, a.Forces }, 0)) < 1e-11);
    }

    [Fact]
    public void EquivalentLatticeBasesGiveTheSameResults()
    {
        using var scope = NewDisposeScope();
        var cell = T(TriclinicCell);
        var sheared = cell.clone();
        sheared[1] = sheared[1].Plus(cell[0]);
        sheared[2] -= cell[1];
        var p = T(TriclinicCoefficients);
        var a = Evaluate(Periodic, T(TriclinicPositions), p, cell);
        var b = Evaluate(Periodic, T(TriclinicPositions), p, sheared);
        Assert.Equal(a.Energy, b.Energy, 1e-12);
        Assert.True(MaxAbs(b.Features - a.Features) < 1e-12);
    }
}
