using MaceScf.Data;

namespace MaceScf.Tests.Data;

public class KeyMappingTests
{
    /// The fixtures' key names, laid out as YamlDotNet returns the heads section.
    private static Dictionary<object, object> FixtureHeads(params (string Property, string Key)[] extraInfo)
    {
        var info = new Dictionary<object, object>
        {
            ["energy"] = "AIMS_energy",
            ["total_charge"] = "total_charge",
            ["fermi_level"] = "the_VBM",
            ["external_field"] = "an_applied_field",
        };
        foreach (var (property, key) in extraInfo) info[property] = key;
        return new Dictionary<object, object>
        {
            ["DFT"] = new Dictionary<object, object>
            {
                ["info_keys"] = info,
                ["arrays_keys"] = new Dictionary<object, object> { ["forces"] = "AIMS_forces", ["atomic_multipoles"] = "DMA_coeficients" },
            },
        };
    }

    private static List<Configuration> WaterClusters() => ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz"));

    [Fact]
    public void MapsTheFixturesCustomKeys()
    {
        var mapping = KeyMapping.FromHeads(FixtureHeads());
        var labelled = new LabelExtractor(mapping, multipoleMaxL: 1).ExtractAll(WaterClusters()).ToList();
        var first = labelled[0];

        Assert.Equal("DFT", mapping.HeadName);
        Assert.Equal("carved_H5O3-", first.ConfigType);
        Assert.Equal(1.0, first.Weight);
        Assert.Equal(-6231.12859190025, first.Energy.Value);
        Assert.Equal(1.0, first.Energy.Weight);
        Assert.Equal(-2.28267506, first.Forces.Value[0, 0]);
        Assert.Equal(0.11578955, first.Forces.Value[0, 2]);
        Assert.Equal(new[] { 8, 4 }, new[] { first.AtomicMultipoles.Value.GetLength(0), first.AtomicMultipoles.Value.GetLength(1) });
        Assert.Equal(-0.31293040, first.AtomicMultipoles.Value[0, 0]);
        Assert.Equal(0.00282244, first.AtomicMultipoles.Value[0, 3]);
        Assert.Equal(-0.12142388, first.AtomicMultipoles.Value[7, 0]);
        Assert.Equal(-1.0, first.TotalCharge.Value);
        Assert.Equal(-5.0, first.FermiLevel.Value);
        Assert.Equal(1.0, first.FermiLevel.Weight);
        Assert.Equal([0.0, 0.05, 0.0], first.ExternalField.Value);
        Assert.Equal(-4.0, labelled[1].FermiLevel.Value);
    }

    [Fact]
    public void CountsHowManyFramesCarryEachProperty()
    {
        var labelled = new LabelExtractor(KeyMapping.FromHeads(FixtureHeads())).ExtractAll(WaterClusters());

        var counts = LabelCounts.Count(labelled);

        Assert.Equal(7, counts["energy"]);
        Assert.Equal(7, counts["forces"]);
        Assert.Equal(7, counts["atomic_multipoles"]);
        Assert.Equal(7, counts["total_charge"]);
        Assert.Equal(3, counts["fermi_level"]);
        Assert.Equal(1, counts["external_field"]);
        Assert.Equal(0, counts["dipole"]);
        Assert.Equal(0, counts["electrostatic_potentials"]);
    }

    [Fact]
    public void PropertiesMissingFromAFrameAreAbsentWithWeightZero()
    {
        var labelled = new LabelExtractor(KeyMapping.FromHeads(FixtureHeads())).Extract(WaterClusters()[3]);

        Assert.False(labelled.FermiLevel.IsPresent);
        Assert.Equal(0.0, labelled.FermiLevel.Weight);
        Assert.Throws<InvalidOperationException>(() => labelled.FermiLevel.Value);
        Assert.False(labelled.ExternalField.IsPresent);
        Assert.Equal(0.0, labelled.ExternalField.Weight);
        Assert.False(labelled.Dipole.IsPresent);
        Assert.Equal([0.0, 0.0, 0.0], labelled.DipoleComponentWeights);
        Assert.False(labelled.ElectrostaticPotentials.IsPresent);
        Assert.True(labelled.Energy.IsPresent);
        Assert.Equal(5, labelled.Forces.Value.GetLength(0));
    }

    [Fact]
    public void DefaultMappingUsesCanonicalNamesAndWeights()
    {
        var frame = Assert.Single(ExtXyzReader.ReadAllFromString(
            """
            2
            Properties=species:S:1:pos:R:3:forces:R:3:atomic_multipoles:R:1:electrostatic_potentials:R:1 energy=-10.5 total_charge=1 dipole="0.1 0.2 0.3" config_dipole_weight="0 0 1" config_weight=2 config_type=bulk config_energy_weight=0.1 config_forces_weight=3 config_atomic_multipoles_weight=0.5
            O 0 0 0 1 2 3 -0.8 0.5
            H 0 0 1 4 5 6 0.4 -0.25
            """, "default.xyz"));
        var types = new Dictionary<string, double> { ["bulk"] = 0.5 };

        var labelled = new LabelExtractor(KeyMapping.Default, multipoleMaxL: 0, configTypeWeights: types).Extract(frame);

        Assert.Equal("bulk", labelled.ConfigType);
        Assert.Equal(1.0, labelled.Weight);
        Assert.Equal(-10.5, labelled.Energy.Value);
        Assert.Equal(0.1, labelled.Energy.Weight);
        Assert.Equal(6.0, labelled.Forces.Value[1, 2]);
        Assert.Equal(3.0, labelled.Forces.Weight);
        Assert.Equal(0.4, labelled.AtomicMultipoles.Value[1, 0]);
        Assert.Equal(0.5, labelled.AtomicMultipoles.Weight);
        Assert.Equal(1.0, labelled.TotalCharge.Value);
        Assert.Equal([0.1, 0.2, 0.3], labelled.Dipole.Value);
        Assert.Equal([0.0, 0.0, 1.0], labelled.DipoleComponentWeights);
        Assert.Equal([0.5, -0.25], labelled.ElectrostaticPotentials.Value);
        Assert.Equal(1.0, labelled.ElectrostaticPotentials.Weight);
        Assert.False(labelled.FermiLevel.IsPresent);
        Assert.False(labelled.ExternalField.IsPresent);
    }

    [Fact]
    public void EnergyAndForcesDefaultToAbsentWhenNotMapped()
    {
        var heads = new Dictionary<object, object>
        {
            ["h"] = new Dictionary<object, object> { ["info_keys"] = new Dictionary<object, object> { ["total_charge"] = "total_charge" } },
        };
        var mapping = KeyMapping.FromHeads(heads);
        var frame = Assert.Single(ExtXyzReader.ReadAllFromString(
            "1\nProperties=species:S:1:pos:R:3:forces:R:3 energy=-1.0 total_charge=0\nH 0 0 0 1 1 1\n"));

        var labelled = new LabelExtractor(mapping).Extract(frame);

        Assert.Equal("none", mapping.InfoKeys["energy"]);
        Assert.Equal("none", mapping.ArraysKeys["forces"]);
        Assert.False(labelled.Energy.IsPresent);
        Assert.False(labelled.Forces.IsPresent);
        Assert.False(labelled.AtomicMultipoles.IsPresent);
        Assert.Equal(0.0, labelled.TotalCharge.Value);
    }

    [Fact]
    public void SlabFixtureGivesIntegerChargeAndFieldAlongZ()
    {
        var heads = FixtureHeads();
        var arrays = (Dictionary<object, object>)((Dictionary<object, object>)heads["DFT"])["arrays_keys"];
        arrays["atomic_multipoles"] = "some_multipoles";
        arrays.Remove("forces");
        var frames = ExtXyzReader.ReadAll(TestData.Fixture("slab_test_configs.xyz"));

        var labelled = new LabelExtractor(KeyMapping.FromHeads(heads), multipoleMaxL: 2).ExtractAll(frames).ToList();

        Assert.Equal(0.0, labelled[0].TotalCharge.Value);
        Assert.Equal([0.0, 0.0, 0.05], labelled[1].ExternalField.Value);
        Assert.Equal(9, labelled[0].AtomicMultipoles.Value.GetLength(1));
        Assert.Equal(-0.01487795, labelled[0].AtomicMultipoles.Value[0, 8]);
        Assert.False(labelled[0].Energy.IsPresent);
        Assert.False(labelled[0].Forces.IsPresent);
    }

    [Fact]
    public void TooFewMultipoleColumnsNameFileFrameAndKey()
    {
        var extractor = new LabelExtractor(KeyMapping.FromHeads(FixtureHeads()), multipoleMaxL: 3);

        var error = Assert.Throws<KeyMappingException>(() => extractor.Extract(WaterClusters()[2]));

        Assert.EndsWith("test_configs.xyz", error.FileName);
        Assert.Equal(2, error.Frame);
        Assert.Equal("DMA_coeficients", error.Key);
        Assert.Contains("test_configs.xyz, frame 2 (line 21)", error.Message);
        Assert.Contains("atomic_multipoles needs at least 16 column(s) ((L+1)² for L = 3), found 9", error.Message);
    }

    [Fact]
    public void ADipoleWithoutItsWeightOfAFrameWithoutPeriodicDirectionIsMaskedOneOneOne()
    {
        // Issue 13 item 12: the fixture's molecular dipoles (AIMS_dipole, no config_dipole_weight) used to stop training.
        var extractor = new LabelExtractor(KeyMapping.FromHeads(FixtureHeads(("dipole", "AIMS_dipole"))));
        var frame = WaterClusters()[1];
        Assert.DoesNotContain(true, frame.Pbc);
        Assert.False(frame.Info.ContainsKey("config_dipole_weight"));

        var labelled = extractor.Extract(frame);

        Assert.True(labelled.Dipole.IsPresent);
        Assert.Equal([1.0, 1.0, 1.0], labelled.DipoleComponentWeights);
    }

    [Theory]
    [InlineData("T T F", "10 0 0 0 10 0 0 0 30", new[] { 0.0, 0.0, 1.0 })]
    [InlineData("T T T", "10 0 0 0 10 0 0 0 30", new[] { 0.0, 0.0, 0.0 })]
    [InlineData("F F T", "10 0 0 0 10 0 0 0 30", new[] { 1.0, 1.0, 0.0 })]
    [InlineData("T F F", "10 0 0 0 10 0 0 0 30", new[] { 0.0, 1.0, 1.0 })]
    [InlineData("T T F", "10 0 0 5 10 0 0 0 30", new[] { 0.0, 0.0, 1.0 })]
    [InlineData("T T F", "10 0 1 0 10 0 0 0 30", new[] { 0.0, 0.0, 0.0 })]
    [InlineData("F F F", "10 0 0 0 10 0 0 0 30", new[] { 1.0, 1.0, 1.0 })]
    public void ADipoleWithoutItsWeightOfAPeriodicFrameCountsOnlyAxesNoPeriodicVectorMovesAlong(string pbc, string lattice, double[] mask)
    {
        var frame = ExtXyzReader.ReadAllFromString($"""
            1
            Lattice="{lattice}" Properties=species:S:1:pos:R:3 dipole="0.1 0.2 0.3" total_charge=0 pbc="{pbc}"
            H 0 0 0

            """)[0];

        Assert.Equal(mask, new LabelExtractor(KeyMapping.Default).Extract(frame).DipoleComponentWeights);
    }

    [Fact]
    public void AGivenDipoleWeightIsKept()
    {
        var frame = ExtXyzReader.ReadAllFromString("""
            1
            Lattice="10 0 0 0 10 0 0 0 30" Properties=species:S:1:pos:R:3 dipole="0.1 0.2 0.3" config_dipole_weight="1 0 1" total_charge=0 pbc="T T F"
            H 0 0 0

            """)[0];

        Assert.Equal([1.0, 0.0, 1.0], new LabelExtractor(KeyMapping.Default).Extract(frame).DipoleComponentWeights);
    }

    [Theory]
    [InlineData("info", "energy", "AIMS_dipole", "key 'AIMS_dipole': expected a number, found Double values of shape [3]")]
    [InlineData("info", "external_field", "AIMS_energy", "key 'AIMS_energy': expected a vector of 3 numbers, found the number -6231.12859190025")]
    [InlineData("info", "fermi_level", "config_type", "key 'config_type': expected a number, found the text 'carved_H5O3-'")]
    [InlineData("info", "energy", "AIMS_forces", "energy must be an info value, but 'AIMS_forces' is a per-atom column")]
    [InlineData("arrays", "forces", "DMA_coeficients", "key 'DMA_coeficients': forces needs 3 column(s), found 9")]
    [InlineData("arrays", "atomic_multipoles", "DMA_coefficients", "atomic_multipoles must be a per-atom column (Properties), but 'DMA_coefficients' is an info value")]
    public void WrongShapesNameFileFrameAndKey(string section, string property, string key, string expected)
    {
        var heads = FixtureHeads();
        var head = (Dictionary<object, object>)heads["DFT"];
        ((Dictionary<object, object>)head[section + "_keys"])[property] = key;
        var extractor = new LabelExtractor(KeyMapping.FromHeads(heads));

        var error = Assert.Throws<KeyMappingException>(() => extractor.Extract(WaterClusters()[0]));

        Assert.Contains("test_configs.xyz, frame 0 (line 1)", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void RejectsMalformedHeads()
    {
        Dictionary<object, object> Head(object infoKeys, object? arraysKeys = null, string name = "DFT")
        {
            var head = new Dictionary<object, object> { ["info_keys"] = infoKeys };
            if (arraysKeys is not null) head["arrays_keys"] = arraysKeys;
            return new Dictionary<object, object> { [name] = head };
        }
        var charge = new Dictionary<object, object> { ["total_charge"] = "q" };

        var twoHeads = Head(charge);
        twoHeads["other"] = Head(charge)["DFT"];
        Assert.Contains("exactly one head", Assert.Throws<ArgumentException>(() => KeyMapping.FromHeads(twoHeads)).Message);
        Assert.Contains("must map total_charge",
            Assert.Throws<ArgumentException>(() => KeyMapping.FromHeads(Head(new Dictionary<object, object> { ["energy"] = "E" }))).Message);
        Assert.Contains("forces is a per-atom property; list it under arrays_keys",
            Assert.Throws<ArgumentException>(() => KeyMapping.FromHeads(Head(new Dictionary<object, object> { ["total_charge"] = "q", ["forces"] = "F" }))).Message);
        Assert.Contains("unknown or unsupported property 'energie'",
            Assert.Throws<ArgumentException>(() => KeyMapping.FromHeads(Head(new Dictionary<object, object> { ["total_charge"] = "q", ["energie"] = "E" }))).Message);
        var extra = Head(charge);
        ((Dictionary<object, object>)extra["DFT"])["weights"] = new Dictionary<object, object>();
        Assert.Contains("only info_keys and arrays_keys", Assert.Throws<ArgumentException>(() => KeyMapping.FromHeads(extra)).Message);
    }
}
