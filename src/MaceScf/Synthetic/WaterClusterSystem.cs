namespace MaceScf.Synthetic;

/// Isolated clusters of 3–5 water molecules (9–15 atoms), optionally around a central ion,
/// in a 30 Å box (pbc F F F), at a fixed total charge and without field.
internal sealed class WaterClusterSystem(string name, int? ionAtomicNumber, double totalCharge) : ISyntheticSystem
{
    public const double BoxLength = 30.0;

    /// Volume per water molecule in the cluster's sphere (Å³).
    public const double VolumePerMolecule = 30.0;

    public static WaterClusterSystem Neutral { get; } = new("water_cluster", null, 0.0);

    /// Na⁺(H₂O)ₙ: the ion at the centre, total charge +1 e.
    public static WaterClusterSystem Charged { get; } = new("charged_cluster", 11, 1.0);

    public string Name { get; } = name;

    public string Description => ionAtomicNumber is null
        ? "isolated cluster of 3-5 water molecules, pbc F F F, total charge 0"
        : $"Na+ with 3-5 water molecules, pbc F F F, total charge {totalCharge:+0;-0}";

    public SyntheticStructure Generate(Random random)
    {
        int molecules = random.Next(3, 6);
        double[] centre = [BoxLength / 2, BoxLength / 2, BoxLength / 2];
        double radius = Math.Cbrt(3 * molecules * VolumePerMolecule / (4 * Math.PI)) + 1.0;
        var builder = new StructureBuilder([BoxLength, BoxLength, BoxLength], [false, false, false]);
        if (ionAtomicNumber is int ion) builder.Add(random, Fragment.Atom(ion), _ => centre, rotate: false);
        for (int m = 0; m < molecules; m++)
            builder.Add(random, Fragment.Water(random), r => RandomGeometry.InBall(r, centre, radius));
        return builder.Build(ElectronConstraint.TotalCharge(totalCharge), new double[3], [1, 1, 1]);
    }
}
