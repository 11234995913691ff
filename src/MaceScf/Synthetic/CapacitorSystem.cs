namespace MaceScf.Synthetic;

/// A capacitor (docs/synth.md, docs/response.md): the conductor's two metal clusters as electrodes, Na₄ (electrode 1, left) and
/// K₄ (electrode 2, right), 11–14 Å apart along x, with an electrolyte-like cluster between them, Na⁺ and two water
/// molecules at the origin held at a total charge of +1 e. Each electrode is held at its own Fermi level, drawn in
/// [−3.1, −2.1] V; no applied field (pbc F F F, 40 Å box). The teacher solves it exactly, so the electrode charges follow
/// Q = Q⁰ − C μ with its capacitance matrix (<see cref="TeacherCapacitance"/>).
internal sealed class CapacitorSystem : ISyntheticSystem
{
    public const double BoxLength = 40.0, MinGap = 11.0, MaxGap = 14.0, ElectrolyteRadius = 3.2, ElectrolyteCharge = 1.0;

    public string Name => "capacitor";

    public string Description =>
        $"Na4 | Na+ 2 H2O | K4 along x, electrodes {MinGap}-{MaxGap} Å apart at Fermi levels in [{ConductorSystem.LowestFermiLevel}, "
        + $"{ConductorSystem.HighestFermiLevel}] eV, electrolyte charge +{ElectrolyteCharge}, pbc F F F";

    public SyntheticStructure Generate(Random random)
    {
        var sodium = Fragment.Tetrahedron(random, 11, ConductorSystem.SodiumEdge).Rotated(RandomGeometry.Rotation(random));
        var potassium = Fragment.Tetrahedron(random, 19, ConductorSystem.PotassiumEdge).Rotated(RandomGeometry.Rotation(random));
        double gap = RandomGeometry.Uniform(random, MinGap, MaxGap);
        double[] left = [-gap / 2 - sodium.Positions.Max(r => r[0]), 0, 0];
        double[] right = [gap / 2 - potassium.Positions.Min(r => r[0]), 0, 0];
        var builder = new StructureBuilder([BoxLength, BoxLength, BoxLength], [false, false, false]);
        builder.Add(random, sodium, _ => left, rotate: false);
        builder.Add(random, potassium, _ => right, rotate: false);
        builder.Add(random, Fragment.Atom(11), _ => [0, 0, 0], rotate: false);
        for (int m = 0; m < 2; m++) builder.Add(random, Fragment.Water(random), r => RandomGeometry.InBall(r, [0, 0, 0], ElectrolyteRadius));
        double[] levels = [Level(random), Level(random)];
        int[] regions = [1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0];
        return builder.Build(ElectronConstraint.TotalCharge(ElectrolyteCharge), new double[3], [1, 1, 1]) with
        {
            Electrodes = new TeacherElectrodes(regions, levels),
        };
    }

    static double Level(Random random) => RandomGeometry.Uniform(random, ConductorSystem.LowestFermiLevel, ConductorSystem.HighestFermiLevel);
}
