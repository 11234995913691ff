namespace MaceScf.Synthetic;

/// Two metal-like clusters, Na₄ and K₄ (low hardness), 8–12 Å apart along x (farther than a
/// 5 Å r_max), centred on the origin (where the applied potential E·r is zero) with a 40 Å box
/// (pbc F F F) for molecule_in_box training, at a fixed Fermi level drawn in [−3.1, −2.1] eV and in a
/// field along x drawn in ±0.2 V/Å: the electronegativity difference and the field move charge
/// between the fragments, and the total charge follows μ.
internal sealed class ConductorSystem : ISyntheticSystem
{
    public const double BoxLength = 40.0, MinGap = 8.0, MaxGap = 12.0, MaxField = 0.2;
    public const double SodiumEdge = 3.7, PotassiumEdge = 4.5;
    public const double LowestFermiLevel = -3.1, HighestFermiLevel = -2.1;

    public string Name => "conductor";

    public string Description =>
        $"Na4 and K4 clusters {MinGap}-{MaxGap} Å apart along x, pbc F F F, fixed Fermi level in [{LowestFermiLevel}, {HighestFermiLevel}] eV, field along x in ±{MaxField} V/Å";

    public SyntheticStructure Generate(Random random)
    {
        var sodium = Fragment.Tetrahedron(random, 11, SodiumEdge).Rotated(RandomGeometry.Rotation(random));
        var potassium = Fragment.Tetrahedron(random, 19, PotassiumEdge).Rotated(RandomGeometry.Rotation(random));
        double gap = RandomGeometry.Uniform(random, MinGap, MaxGap);
        // Every pair across the gap is at least `gap` apart, since their x coordinates already are.
        double separation = sodium.Positions.Max(r => r[0]) + gap - potassium.Positions.Min(r => r[0]);
        double[] left = [-separation / 2, 0, 0];
        double[] right = [separation / 2, 0, 0];
        var builder = new StructureBuilder([BoxLength, BoxLength, BoxLength], [false, false, false]);
        builder.Add(random, sodium, _ => left, rotate: false);
        builder.Add(random, potassium, _ => right, rotate: false);
        double field = RandomGeometry.Uniform(random, -MaxField, MaxField);
        double mu = RandomGeometry.Uniform(random, LowestFermiLevel, HighestFermiLevel);
        return builder.Build(ElectronConstraint.FermiLevel(mu), [field, 0, 0], [1, 1, 1]);
    }
}
