namespace MaceScf.Synthetic;

/// A periodic water layer (pbc T T F): 6 molecules whose oxygens lie within ±2 Å of the middle of
/// an 8 × 8 × 24 Å cell, neutral, in an applied field along z drawn uniformly in ±0.2 V/Å.
/// Only the z dipole is a label (config_dipole_weight 0 0 1).
internal sealed class WaterSlabSystem : ISyntheticSystem
{
    public const int MoleculeCount = 6;
    public const double Width = 8.0, Height = 24.0, HalfThickness = 2.0, MaxField = 0.2;

    public string Name => "water_slab";

    public string Description => $"layer of {MoleculeCount} water molecules with vacuum along z, pbc T T F, field along z in ±{MaxField} V/Å";

    public SyntheticStructure Generate(Random random)
    {
        var builder = new StructureBuilder([Width, Width, Height], [true, true, false]);
        for (int m = 0; m < MoleculeCount; m++)
            builder.Add(random, Fragment.Water(random), r =>
                [Width * r.NextDouble(), Width * r.NextDouble(), Height / 2 + RandomGeometry.Uniform(r, -HalfThickness, HalfThickness)]);
        double field = RandomGeometry.Uniform(random, -MaxField, MaxField);
        return builder.Build(ElectronConstraint.TotalCharge(0), [0, 0, field], [0, 0, 1]);
    }
}
