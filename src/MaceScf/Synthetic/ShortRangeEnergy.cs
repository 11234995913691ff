using MaceScf.Data;
using static TorchSharp.torch;

namespace MaceScf.Synthetic;

/// The teacher's charge-independent energy E_short(R): Born–Mayer repulsion between atoms of
/// different molecules, ε exp((R_i + R_j − r)/ρ) · ½(1 + cos πr/r_c) for r &lt; r_c, plus the
/// bonded terms of the structure (docs/synth.md, eq. 4).
internal static class ShortRangeEnergy
{
    /// E_short (eV) as a scalar tensor, differentiable with respect to <paramref name="positions"/> [N, 3] and
    /// <paramref name="cell"/> [3, 3] (rows are lattice vectors; the periodic images of the repulsion).
    public static Tensor Evaluate(TeacherParameters parameters, SyntheticStructure structure, Tensor positions, Tensor cell)
    {
        using var scope = NewDisposeScope();
        var energy = Repulsion(parameters, structure, positions, cell).Plus(BondEnergy(structure, positions)).Plus(AngleEnergy(structure, positions));
        return energy.MoveToOuterDisposeScope();
    }

    static Tensor Repulsion(TeacherParameters parameters, SyntheticStructure structure, Tensor positions, Tensor cell)
    {
        var pairs = NeighbourList.Build(structure.Positions, structure.Cell, structure.Pbc, parameters.RepulsionCutoff);
        var senders = tensor(pairs.Senders, dtype: int64);
        var receivers = tensor(pairs.Receivers, dtype: int64);
        var unitShifts = tensor(pairs.UnitShifts, dtype: float64).reshape(-1, 3);
        var molecules = tensor(structure.Molecules, dtype: int64);
        var keep = (molecules.index_select(0, senders) != molecules.index_select(0, receivers))
            .logical_or(unitShifts.abs().sum(1).GreaterThan(0)).nonzero().squeeze(1);
        senders = senders.index_select(0, keep);
        receivers = receivers.index_select(0, keep);
        var shifts = unitShifts.index_select(0, keep).matmul(cell);
        var radii = tensor(structure.AtomicNumbers.Select(z => parameters.Element(z).RepulsionRadius).ToArray(), dtype: float64);
        var r = (positions.index_select(0, receivers) - positions.index_select(0, senders)).Plus(shifts).Squared().sum(1).sqrt();
        var born = (radii.index_select(0, receivers).Plus(radii.index_select(0, senders)) - r).DividedBy(parameters.RepulsionDecay).exp().Times(parameters.RepulsionStrength);
        var cutoff = r.Times(Math.PI / parameters.RepulsionCutoff).cos().Plus(1).Times(0.5);
        return (born * cutoff).sum().Times(0.5);                      // every pair appears twice
    }

    static Tensor BondEnergy(SyntheticStructure structure, Tensor positions)
    {
        if (structure.Bonds.Count == 0) return zeros(1, dtype: float64).sum();
        var i = tensor(structure.Bonds.Select(b => (long)b.I).ToArray());
        var j = tensor(structure.Bonds.Select(b => (long)b.J).ToArray());
        var length = tensor(structure.Bonds.Select(b => b.Length).ToArray(), dtype: float64);
        var stiffness = tensor(structure.Bonds.Select(b => b.Stiffness).ToArray(), dtype: float64);
        var r = (positions.index_select(0, i) - positions.index_select(0, j)).Squared().sum(1).sqrt();
        return (stiffness.Times(0.5) * (r - length).Squared()).sum();
    }

    static Tensor AngleEnergy(SyntheticStructure structure, Tensor positions)
    {
        if (structure.Angles.Count == 0) return zeros(1, dtype: float64).sum();
        var i = tensor(structure.Angles.Select(a => (long)a.I).ToArray());
        var j = tensor(structure.Angles.Select(a => (long)a.J).ToArray());
        var k = tensor(structure.Angles.Select(a => (long)a.K).ToArray());
        var cos0 = tensor(structure.Angles.Select(a => a.CosAngle).ToArray(), dtype: float64);
        var stiffness = tensor(structure.Angles.Select(a => a.Stiffness).ToArray(), dtype: float64);
        var centre = positions.index_select(0, j);
        var u = positions.index_select(0, i) - centre;
        var v = positions.index_select(0, k) - centre;
        var cos = (u * v).sum(1) / (u.Squared().sum(1) * v.Squared().sum(1)).sqrt();
        return (stiffness * (cos - cos0).Squared()).sum();
    }
}
