namespace MaceScf.Synthetic;

/// Liquid-like periodic boxes (pbc T T T) of 8 water molecules at 31 Å³ per molecule, neutral,
/// without field; the dipole of a periodic box is not a label (config_dipole_weight 0 0 0).
internal sealed class WaterBoxSystem : ISyntheticSystem
{
    public const int MoleculeCount = 8;
    public const double VolumePerMolecule = 31.0;

    public string Name => "water_box";

    public string Description => $"periodic liquid-like box of {MoleculeCount} water molecules, pbc T T T, total charge 0";

    public SyntheticStructure Generate(Random random)
    {
        double edge = Math.Cbrt(MoleculeCount * VolumePerMolecule);
        var builder = new StructureBuilder([edge, edge, edge], [true, true, true]);
        for (int m = 0; m < MoleculeCount; m++)
            builder.Add(random, Fragment.Water(random), r => [edge * r.NextDouble(), edge * r.NextDouble(), edge * r.NextDouble()]);
        return builder.Build(ElectronConstraint.TotalCharge(0), new double[3], [0, 0, 0]);
    }
}
