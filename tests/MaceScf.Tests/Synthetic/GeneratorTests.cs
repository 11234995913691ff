using MaceScf.Data;
using MaceScf.Synthetic;
using static MaceScf.Tests.Synthetic.SynthFixtures;

namespace MaceScf.Tests.Synthetic;

public sealed class SynthGeneratorTests
{
    public static TheoryData<string> Systems => new(SyntheticSystems.All.Select(s => s.Name));

    static SyntheticDataGenerator Generator(string system, SynthesisOverrides? overrides = null) =>
        new(SyntheticSystems.Find(system)!, Teacher.Parameters, overrides ?? new SynthesisOverrides());

    [Theory]
    [MemberData(nameof(Systems))]
    public void SameSeedGivesTheSameFramesAndAnotherSeedDifferentOnes(string system)
    {
        string first = ExtXyzWriter.WriteToString(Generator(system).Frames(2, 7));
        string again = ExtXyzWriter.WriteToString(Generator(system).Frames(2, 7));
        string other = ExtXyzWriter.WriteToString(Generator(system).Frames(2, 8));
        Assert.Equal(first, again);
        Assert.NotEqual(first, other);
    }

    [Theory]
    [MemberData(nameof(Systems))]
    public void FramesReadBackThroughTheDefaultKeyMapping(string system)
    {
        var (structure, solution) = Generator(system).Solve(1, 3).Single();
        var text = ExtXyzWriter.WriteToString(Generator(system).Frames(1, 3));
        var frame = ExtXyzReader.ReadAllFromString(text).Single();
        var labels = new LabelExtractor(KeyMapping.Default).Extract(frame);

        Assert.Equal(system, labels.ConfigType);
        Assert.Equal(solution.Energy, labels.Energy.Value);
        Assert.Equal(solution.Forces, labels.Forces.Value);
        Assert.Equal(solution.Multipoles, labels.AtomicMultipoles.Value);
        Assert.Equal(solution.TotalCharge, labels.TotalCharge.Value);
        Assert.Equal(solution.FermiLevel, labels.FermiLevel.Value);
        Assert.Equal(solution.Dipole, labels.Dipole.Value);
        Assert.Equal(structure.ExternalField, labels.ExternalField.Value);
        Assert.Equal(structure.DipoleWeights, labels.DipoleComponentWeights);
        Assert.Equal(structure.Pbc, frame.Pbc);
        Assert.Equal(Teacher.Parameters.Electrostatics.SmearingWidth, (double)frame.Info["teacher_smearing_width"]);
        Assert.Equal(3L, frame.Info["teacher_seed"]);
        Assert.Equal(structure.Constraint.Name, frame.Info["teacher_constraint"]);
        Assert.Equal(new long[] { 1, 8, 11, 19 }, (long[])frame.Info["teacher_elements"]);
        Assert.InRange(frame.AtomCount, 1, 64);
    }

    [Theory]
    [InlineData("water_box", 5)]
    [InlineData("water_slab", 5)]
    [InlineData("charged_cluster", 5)]
    public void MoleculesDoNotOverlap(string system, int frames)
    {
        var random = new Random(1);
        for (int k = 0; k < frames; k++)
        {
            var s = SyntheticSystems.Find(system)!.Generate(random);
            var pairs = NeighbourList.Build(s.Positions, s.Cell, s.Pbc, StructureBuilder.MinimumDistance);
            Assert.All(Enumerable.Range(0, pairs.EdgeCount), e =>
                Assert.Equal(s.Molecules[pairs.Senders[e]], s.Molecules[pairs.Receivers[e]]));
        }
    }

    [Fact]
    public void SlabMoleculesStayInTheLayerAndFeelAFieldAlongZ()
    {
        var random = new Random(2);
        var s = SyntheticSystems.Find("water_slab")!.Generate(random);
        var z = Column(s.Positions, 2);
        Assert.InRange(z.Max() - z.Min(), 0.5, 2 * WaterSlabSystem.HalfThickness + 2 * Fragment.WaterBondLength + 0.2);
        Assert.Equal(new[] { true, true, false }, s.Pbc);
        Assert.Equal(0.0, s.ExternalField[0]);
        Assert.Equal(0.0, s.ExternalField[1]);
        Assert.InRange(Math.Abs(s.ExternalField[2]), 1e-6, WaterSlabSystem.MaxField);
    }

    [Fact]
    public void ConductorFragmentsAreFartherApartThanTheCutoff()
    {
        var random = new Random(9);
        for (int k = 0; k < 5; k++)
        {
            var s = SyntheticSystems.Find("conductor")!.Generate(random);
            double gap = double.MaxValue;
            for (int i = 0; i < s.AtomCount; i++)
                for (int j = 0; j < s.AtomCount; j++)
                    if (s.Molecules[i] != s.Molecules[j])
                        gap = Math.Min(gap, Math.Sqrt(Enumerable.Range(0, 3).Sum(a => Math.Pow(s.Positions[i, a] - s.Positions[j, a], 2))));
            Assert.InRange(gap, ConductorSystem.MinGap, ConductorSystem.MaxGap + 2.0);
            Assert.True(s.Constraint.IsFixedFermiLevel);
        }
    }

    [Fact]
    public void OverridesReplaceTheConstraintAndField()
    {
        var charged = Generator("conductor", new SynthesisOverrides { TotalCharge = -0.5, ExternalField = [0, 0.1, 0] }).Solve(1, 1).Single();
        Assert.Equal(-0.5, charged.Solution.TotalCharge, 1e-10);
        Assert.Equal(new[] { 0, 0.1, 0 }, charged.Structure.ExternalField);
        var atFermiLevel = Generator("water_cluster", new SynthesisOverrides { FermiLevel = -6.0 }).Solve(1, 1).Single();
        Assert.Equal(-6.0, atFermiLevel.Solution.FermiLevel);
        Assert.Throws<ArgumentException>(() =>
            Generator("water_cluster", new SynthesisOverrides { FermiLevel = -6.0, TotalCharge = 0 }).Solve(1, 1).ToList());
    }
}
