using MaceScf.Data;

namespace MaceScf.Tests.Cli;

public sealed class SynthCommandTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("macescf-synth-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string Temp(string name) => Path.Combine(_folder, name);

    [Fact]
    public void HelpListsSystemsOptionsAndDefaults()
    {
        var (code, text) = CliRunner.Run("synth", "--help");
        Assert.Equal(0, code);
        foreach (var word in new[] { "water_cluster", "charged_cluster", "water_box", "water_slab", "conductor",
                     "--count", "--seed", "--applied-field", "--total-charge", "--fermi-level", "--electrostatic_pbc_method", "(default: 10)" })
            Assert.Contains(word, text);
    }

    [Fact]
    public void WritesLabelledFramesDeterministicallyAndPrintsASummary()
    {
        string first = Temp("a.xyz"), second = Temp("b.xyz");
        string[] options = ["--system", "charged_cluster", "--count", "2", "--seed", "4", "--applied-field", "[0, 0, 0.05]"];
        var (code, text) = CliRunner.Run(["synth", .. options, "-o", first]);
        Assert.True(code == 0, text);
        Assert.Contains("wrote 2 frame(s) of charged_cluster", text);
        Assert.Contains("atomic charge (e)", text);
        Assert.Equal(0, CliRunner.Run(["synth", .. options, "-o", second]).ExitCode);
        Assert.Equal(File.ReadAllText(first), File.ReadAllText(second));

        var frames = ExtXyzReader.ReadAll(first);
        Assert.Equal(2, frames.Count);
        var labels = new LabelExtractor(KeyMapping.Default).ExtractAll(frames).ToList();
        Assert.All(labels, l => Assert.Equal(1.0, l.TotalCharge.Value, 1e-10));
        Assert.All(labels, l => Assert.Equal(new[] { 0, 0, 0.05 }, l.ExternalField.Value));
        Assert.All(labels, l => Assert.True(l.Energy.IsPresent && l.Forces.IsPresent && l.AtomicMultipoles.IsPresent && l.FermiLevel.IsPresent));
        Assert.Equal("realspace", frames[0].Info["teacher_method"]);
    }

    [Fact]
    public void TotalChargeOverridesTheConductorsFermiLevel()
    {
        string output = Temp("c.xyz");
        var (code, text) = CliRunner.Run("synth", "--system", "conductor", "--count", "1", "--total-charge", "-0.3", "-o", output,
            "--electrostatic_pbc_method", "molecule_in_box");
        Assert.True(code == 0, text);
        var frame = ExtXyzReader.ReadAll(output).Single();
        Assert.Equal(-0.3, (double)frame.Info["total_charge"], 1e-10);
        Assert.Equal("constant_charge", frame.Info["teacher_constraint"]);
        Assert.Equal("molecule_in_box", frame.Info["teacher_method"]);
    }

    /// The capacitor at given electrode Fermi levels: its regions, conditions and the teacher's region charges and capacitance.
    [Fact]
    public void TheCapacitorHoldsItsElectrodesAtTheGivenFermiLevels()
    {
        string output = Temp("cap.xyz");
        var (code, text) = CliRunner.Run("synth", "--system", "capacitor", "--count", "1", "--electrode-potentials", "-2.9 -2.3", "-o", output);
        Assert.True(code == 0, text);
        var frame = ExtXyzReader.ReadAll(output).Single();
        Assert.Equal(new long[] { 1, 1, 1, 1, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0 }, (long[])frame.Arrays["electrode"]);
        Assert.Equal(new[] { -2.9, -2.3 }, (double[])frame.Info["electrode_fermi_levels"]);
        Assert.Equal(1.0, (double)frame.Info["electrolyte_charge"]);
        var regions = (double[])frame.Info["teacher_region_charges"];
        Assert.Equal(1.0, regions[0], 1e-10);
        Assert.Equal((double)frame.Info["total_charge"], regions.Sum(), 1e-12);
        var c = (double[])frame.Info["teacher_capacitance"];
        Assert.Equal(4, c.Length);
        Assert.Equal(c[1], c[2], 1e-12);
        Assert.True(c[0] > 0 && c[3] > 0 && c[1] < 0, string.Join(' ', c));
        // The label is the grand potential of the electrodes.
        Assert.Equal((double)frame.Info["teacher_internal_energy"] - 2.9 * regions[1] - 2.3 * regions[2], (double)frame.Info["energy"], 1e-9);
    }

    [Theory]
    [InlineData("applies to the capacitor only", "--system", "conductor", "-o", "x.xyz", "--electrode-potentials", "-2 -3")]
    [InlineData("unknown system 'water_clustr' (did you mean 'water_cluster'?)", "--system", "water_clustr", "-o", "x.xyz")]
    [InlineData("unknown option --seeds (did you mean --seed?)", "--system", "water_cluster", "--seeds", "3", "-o", "x.xyz")]
    [InlineData("--system is required", "-o", "x.xyz")]
    [InlineData("-o/--output FILE.xyz is required", "--system", "water_box")]
    [InlineData("not both", "--system", "water_box", "-o", "x.xyz", "--total-charge", "0", "--fermi-level", "-5")]
    [InlineData("--applied-field needs three numbers", "--system", "water_box", "-o", "x.xyz", "--applied-field", "0,1")]
    [InlineData("--count must be at least 1", "--system", "water_box", "-o", "x.xyz", "--count", "0")]
    [InlineData("unknown electrostatic pbc method", "--system", "water_box", "-o", "x.xyz", "--electrostatic_pbc_method", "ewald")]
    public void BadOptionsAreUsageErrors(string message, params string[] options)
    {
        var (code, text) = CliRunner.Run(["synth", .. options.Select(o => o == "x.xyz" ? Temp(o) : o)]);
        Assert.Equal(2, code);
        Assert.Contains(message, text);
        Assert.False(File.Exists(Temp("x.xyz")));
    }
}
