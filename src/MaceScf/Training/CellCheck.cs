using MaceScf.Data;
using MaceScf.Electrostatics;

namespace MaceScf.Training;

/// Before training: every frame the boundary method treats in k-space (pbc, slab, molecule_in_box) must carry a cell, so a
/// molecule without a Lattice is named by file and frame instead of failing inside a batch.
internal static class CellCheck
{
    public static void Require(BoundaryMethod method, TrainingSets sets)
    {
        var frames = sets.Train.Concat(sets.Valid).Concat(sets.Tests.SelectMany(t => t.Frames));
        foreach (var frame in frames)
        {
            var configuration = frame.Configuration;
            var resolved = ElectrostaticsPlan.ResolveMethods(method, [configuration.Pbc])[0];
            if (resolved == BoundaryMethod.Realspace || (configuration.Cell is { } cell && CellVolume.Of(cell) != 0)) continue;
            throw new InvalidDataException(
                $"{configuration.DescribeOrigin()}: electrostatic_pbc_method {method.ToName()} treats this frame (pbc "
                + $"{string.Join(' ', configuration.Pbc.Select(p => p ? 'T' : 'F'))}) with {resolved.ToName()}, which needs a cell, and the "
                + "frame has none: give it a Lattice (for a molecule, a box well larger than it) or use electrostatic_pbc_method realspace");
        }
    }
}
