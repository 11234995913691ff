using MaceScf.Data;
using MaceScf.Electrostatics;
using static TorchSharp.torch;

namespace MaceScf.Tests.Cli;

public sealed class CoulombCommandTests : IDisposable
{
    const double Ke = CoulombConstants.CoulombConstant;
    readonly string _folder = Directory.CreateTempSubdirectory("macescf-coulomb-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    string Temp(string name) => Path.Combine(_folder, name);

    /// Writes the frames and runs `coulomb` on them with -o; returns the frames read back.
    List<Configuration> Run(IEnumerable<Configuration> frames, params string[] options)
    {
        string input = Temp($"in-{Guid.NewGuid():N}.xyz"), output = Temp($"out-{Guid.NewGuid():N}.xyz");
        ExtXyzWriter.Write(input, frames);
        var (code, text) = CliRunner.Run(["coulomb", input, "-o", output, .. options]);
        Assert.True(code == 0, text);
        return ExtXyzReader.ReadAll(output);
    }

    static Configuration Frame(double[,] positions, double[,] multipoles, double[,]? cell = null, bool periodic = false)
    {
        int n = positions.GetLength(0);
        var frame = new Configuration(Enumerable.Repeat(8, n).ToArray(), positions, cell, [periodic, periodic, periodic]);
        frame.Arrays["mp"] = multipoles;
        return frame;
    }

    static double Erf(double x) => tensor(x, dtype: float64).erf().item<double>();

    static double Energy(Configuration frame) => (double)frame.Info["electrostatic_energy"];

    [Fact]
    public void TwoGaussianChargesInOpenSpaceGiveTheErfPairEnergyAndItsForce()
    {
        double sigma = 0.5, r = 4.0, q = 0.7;
        var frame = Frame(new double[,] { { 0, 0, 0 }, { r, 0, 0 } }, new double[,] { { q }, { -q } });
        string[] common = ["--multipoles-key", "mp", "--atomic_multipoles_max_l", "0", "--atomic-multipoles-smearing-width", "0.5",
            "--electrostatic_pbc_method", "realspace"];
        var withoutSelf = Run([frame], [.. common, "--include_electrostatic_self_interaction", "false"])[0];
        var withSelf = Run([frame], common)[0];

        double pair = -Ke * q * q * Erf(r / (2 * sigma)) / r;
        Assert.Equal(-1.7639565286, pair, 1e-10);
        Assert.Equal(pair, Energy(withoutSelf), 1e-12);
        // Self-energy ½ k_e q²/(σ√π) per Gaussian.
        Assert.Equal(pair + 2 * 0.5 * Ke * q * q / (sigma * Math.Sqrt(Math.PI)), Energy(withSelf), 1e-12);
        // F on atom 1 = −dE/dr along +x; the pair attracts.
        double c = 2 * sigma;
        double dEdr = -Ke * q * q * (2 / (Math.Sqrt(Math.PI) * c) * Math.Exp(-r * r / (c * c)) / r - Erf(r / c) / (r * r));
        var forces = (double[,])withoutSelf.Arrays["electrostatic_forces"];
        Assert.Equal(-dEdr, forces[1, 0], 1e-12);
        Assert.Equal(dEdr, forces[0, 0], 1e-12);
        Assert.Equal(0.0, forces[1, 1], 1e-14);
        Assert.Equal("realspace", withSelf.Info["coulomb_method"]);
        Assert.False(withSelf.Info.ContainsKey("coulomb_k_vectors"));
        Assert.Equal(0.5, withSelf.Info["coulomb_smearing_width"]);
        Assert.Equal([-q * r, 0.0, 0.0], (double[])withSelf.Info["dipole"]);
    }

    [Theory]
    [InlineData("realspace")]
    [InlineData("pbc")]
    public void ForcesAreMinusFiniteDifferencesOfTheTotalEnergyInAField(string method)
    {
        double[,] positions = { { 1.0, 1.2, 0.9 }, { 1.9, 1.5, 1.1 }, { 0.6, 2.0, 0.4 } };
        double[,] multipoles = { { -0.8, 0.05, -0.02, 0.10 }, { 0.4, 0.01, 0.03, -0.02 }, { 0.3, -0.02, 0.0, 0.01 } };
        double[,] cell = { { 8, 0, 0 }, { 0.5, 7, 0 }, { 0, 0.3, 9 } };
        string[] options = ["--multipoles-key", "mp", "--electrostatic_pbc_method", method, "--external-field-key", "field"];
        Configuration At(double[,] x)
        {
            var frame = Frame(x, multipoles, cell, periodic: method == "pbc");
            frame.Info["field"] = new[] { 0.02, -0.05, 0.03 };
            return frame;
        }
        var result = Run([At(positions)], options)[0];
        var forces = (double[,])result.Arrays["electrostatic_forces"];
        double h = 1e-4;
        var displaced = new List<Configuration>();
        for (int atom = 0; atom < 3; atom++)
            for (int k = 0; k < 3; k++)
                foreach (double step in new[] { h, -h })
                {
                    var x = (double[,])positions.Clone();
                    x[atom, k] += step;
                    displaced.Add(At(x));
                }
        var energies = Run(displaced, options).Select(f => (double)f.Info["electrostatic_total_energy"]).ToArray();
        for (int atom = 0; atom < 3; atom++)
            for (int k = 0; k < 3; k++)
            {
                int j = 2 * (3 * atom + k);
                Assert.Equal(-(energies[j] - energies[j + 1]) / (2 * h), forces[atom, k], 1e-7);
            }
        // The field term is E·P and is part of the total.
        var dipole = (double[])result.Info["dipole"];
        double fieldEnergy = 0.02 * dipole[0] - 0.05 * dipole[1] + 0.03 * dipole[2];
        Assert.Equal(fieldEnergy, (double)result.Info["electrostatic_field_energy"], 1e-12);
        Assert.Equal(Energy(result) + fieldEnergy, (double)result.Info["electrostatic_total_energy"], 1e-12);
        Assert.NotEqual(0.0, fieldEnergy);
    }

    [Fact]
    public void ParticleMeshRecordsItsGridAndAgreesWithTheDirectSum()
    {
        string mesh = Temp("pme.xyz"), direct = Temp("ewald.xyz");
        string[] common = ["coulomb", TestData.Fixture("test_configs.xyz"), "--multipoles-key", "DMA_coeficients", "--kspace_cutoff_factor", "2.0"];
        var (code, text) = CliRunner.Run([.. common, "--kspace_method", "pme", "-o", mesh]);
        Assert.True(code == 0, text);
        Assert.Contains("pme ", text);
        Assert.Equal(0, CliRunner.Run([.. common, "--kspace_method", "ewald", "-o", direct]).ExitCode);
        foreach (var (m, d) in ExtXyzReader.ReadAll(mesh).Zip(ExtXyzReader.ReadAll(direct)))
        {
            Assert.Equal("pme", m.Info["coulomb_kspace_method"]);
            Assert.Equal("ewald", d.Info["coulomb_kspace_method"]);
            Assert.Equal(3, ((double[])m.Info["coulomb_pme_grid"]).Length);
            Assert.True((long)m.Info["coulomb_pme_order"] >= 4);
            Assert.True((double)m.Info["coulomb_pme_spacing"] > 0);
            Assert.True((double)m.Info["coulomb_pme_estimated_error"] <= 1e-6);
            Assert.Equal(1e-6, (double)m.Info["coulomb_electrostatics_accuracy"]);
            Assert.False(m.Info.ContainsKey("coulomb_kspace_cutoff"));
            Assert.Equal(Energy(d), Energy(m), 1e-6 * Math.Abs(Energy(d)));
            var forceDifference = tensor((double[,])m.Arrays["electrostatic_forces"]) - tensor((double[,])d.Arrays["electrostatic_forces"]);
            Assert.True(forceDifference.abs().max().item<double>() < 1e-5);
        }
    }

    [Fact]
    public void FixtureRunsOnEveryFrameAndTheOutputReadsBack()
    {
        string output = Temp("fixture.xyz");
        var (code, text) = CliRunner.Run("coulomb", TestData.Fixture("test_configs.xyz"), "--multipoles-key", "DMA_coeficients",
            "--electrostatic_pbc_method", "mixed_periodic", "-o", output);
        Assert.True(code == 0, text);
        Assert.Contains("molecule_in_box", text);
        Assert.DoesNotContain("warning", text);
        var input = ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz"));
        var frames = ExtXyzReader.ReadAll(output);
        Assert.Equal(7, frames.Count);
        for (int k = 0; k < frames.Count; k++)
        {
            var f = frames[k];
            int n = f.AtomCount;
            Assert.Equal(input[k].AtomCount, n);
            Assert.Equal(8, ((double[,])f.Arrays["field_features"]).GetLength(1));
            Assert.Equal(n, ((double[,])f.Arrays["field_features"]).GetLength(0));
            Assert.Equal(3, ((double[,])f.Arrays["electrostatic_forces"]).GetLength(1));
            Assert.Equal(n, ((double[])f.Arrays["electrostatic_potential"]).Length);
            Assert.Equal(3, ((double[])f.Info["dipole"]).Length);
            Assert.True(double.IsFinite(Energy(f)));
            Assert.Equal(k < 4 ? "molecule_in_box" : "pbc", f.Info["coulomb_method"]);
            Assert.True((long)f.Info["coulomb_k_vectors"] > 0);
            Assert.Equal(input[k].Arrays["DMA_coeficients"], f.Arrays["DMA_coeficients"]);
        }
        // "average" norms: every (l, width) block of the written features has unit RMS over the file.
        var all = cat(frames.Select(f => tensor((double[,])f.Arrays["field_features"], dtype: float64)).ToArray(), 0);
        int[] blockStart = [0, 1, 2, 5], blockWidth = [1, 1, 3, 3];
        for (int b = 0; b < 4; b++)
            Assert.Equal(1.0, all.narrow(1, blockStart[b], blockWidth[b]).Squared().mean().sqrt().item<double>(), 1e-12);
    }

    [Fact]
    public void WiderMultipoleArraysAreTruncatedToTheChosenOrder()
    {
        var fixture = ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz"))[0];
        var full = (double[,])fixture.Arrays["DMA_coeficients"];
        var first4 = new double[fixture.AtomCount, 4];
        for (int i = 0; i < fixture.AtomCount; i++)
            for (int j = 0; j < 4; j++) first4[i, j] = full[i, j];
        var wide = Frame(fixture.Positions, full, fixture.Cell);
        var narrow = Frame(fixture.Positions, first4, fixture.Cell);
        var results = Run([wide, narrow], "--multipoles-key", "mp", "--field_feature_norms", "None");
        Assert.Equal(Energy(results[1]), Energy(results[0]));
        Assert.Equal(results[1].Arrays["field_features"], results[0].Arrays["field_features"]);
        var quadrupoles = Run([wide], "--multipoles-key", "mp", "--atomic_multipoles_max_l", "2", "--field_feature_norms", "None")[0];
        Assert.NotEqual(Energy(results[0]), Energy(quadrupoles), 1e-6);
    }

    [Fact]
    public void ExternalFieldAndFermiLevelEnterTheFeatures()
    {
        string fixture = TestData.Fixture("test_configs.xyz");
        var plain = Run(ExtXyzReader.ReadAll(fixture), "--multipoles-key", "DMA_coeficients", "--field_feature_norms", "None");
        var shifted = Run(ExtXyzReader.ReadAll(fixture), "--multipoles-key", "DMA_coeficients", "--field_feature_norms", "None",
            "--fermi-level-key", "the_VBM", "--fermi_level_offset", "-4", "--external-field-key", "an_applied_field");
        double widthOne = 1.0, sqrt4Pi = Math.Sqrt(4 * Math.PI);
        for (int k = 0; k < plain.Count; k++)
        {
            var a = (double[,])plain[k].Arrays["field_features"];
            var b = (double[,])shifted[k].Arrays["field_features"];
            bool hasVbm = shifted[k].Info.TryGetValue("the_VBM", out var vbm);
            bool hasField = shifted[k].Info.ContainsKey("an_applied_field");
            // μ − offset (V) adds √(4π)(μ − offset) to every l = 0 feature; the fixture has μ = −5 and −4.
            double shift = hasVbm ? sqrt4Pi * ((double)vbm! + 4) : 0.0;
            Assert.Equal(hasVbm, shifted[k].Info.ContainsKey("coulomb_fermi_level_shift"));
            for (int i = 0; i < a.GetLength(0); i++)
            {
                // l = 0 of width 1: the applied potential E·r at the atom (exact for a linear potential).
                double applied = hasField ? 0.05 * shifted[k].Positions[i, 1] * sqrt4Pi : 0.0;
                Assert.Equal(a[i, 0] + shift + applied, b[i, 0], 1e-9);
                // l = 1, y component of width 1: (√6 π σf / 2) E_y.
                double gradient = hasField ? Math.Sqrt(6) * Math.PI * widthOne / 2 * 0.05 : 0.0;
                Assert.Equal(a[i, 2] + gradient, b[i, 2], 1e-9);
            }
        }
        Assert.Contains(shifted, f => f.Info.ContainsKey("an_applied_field"));
        Assert.Contains(shifted, f => f.Info.TryGetValue("the_VBM", out var v) && (double)v == -5.0);
    }

    [Fact]
    public void FermiLevelOffsetDefaultsToTheMeanOverFramesWithAFermiLevel()
    {
        var frames = Run(ExtXyzReader.ReadAll(TestData.Fixture("test_configs.xyz")), "--multipoles-key", "DMA_coeficients",
            "--fermi-level-key", "the_VBM");
        var shifts = frames.Where(f => f.Info.ContainsKey("coulomb_fermi_level_shift")).Select(f => (double)f.Info["coulomb_fermi_level_shift"]).ToList();
        Assert.Equal(3, shifts.Count);
        Assert.Equal(0.0, shifts.Sum(), 1e-12);
        Assert.Equal(-5.0 - (-5.0 - 4.0 - 5.0) / 3, shifts[0], 1e-12);
    }

    [Fact]
    public void ChargeDifferentFromTheTotalChargeIsReported()
    {
        string input = Temp("charge.xyz");
        var frame = Frame(new double[,] { { 0, 0, 0 }, { 3, 0, 0 } }, new double[,] { { 0.5 }, { -0.5 } });
        frame.Info["Q"] = 1.0;
        ExtXyzWriter.Write(input, [frame]);
        var (code, output) = CliRunner.Run("coulomb", input, "--multipoles-key", "mp", "--atomic_multipoles_max_l", "0",
            "--electrostatic_pbc_method", "realspace", "--total-charge-key", "Q");
        Assert.Equal(0, code);
        Assert.Contains("warning", output);
        Assert.Contains("frame 0", output);
        Assert.Contains("'Q' = 1", output);
    }

    [Fact]
    public void FramesWithoutTheOptionalKeysAreListed()
    {
        var (code, output) = CliRunner.Run("coulomb", TestData.Fixture("test_configs.xyz"), "--multipoles-key", "DMA_coeficients",
            "--external-field-key", "an_applied_field", "--fermi-level-key", "the_VBM");
        Assert.True(code == 0, output);
        Assert.Contains("note: 6 frame(s) without 'an_applied_field' (no applied field): 1, 2, 3, 4, 5, 6", output);
        Assert.Contains("note: 4 frame(s) without 'the_VBM' (no Fermi-level shift): 3, 4, 5, 6", output);
    }

    [Fact]
    public void MissingMultipolesKeyNamesFrameAndKey()
    {
        var (code, output) = CliRunner.Run("coulomb", TestData.Fixture("test_configs.xyz"), "--multipoles-key", "charges");
        Assert.Equal(1, code);
        Assert.Contains("frame 0", output);
        Assert.Contains("'charges'", output);
    }

    [Fact]
    public void TooNarrowMultipolesNameFrameKeyAndWidth()
    {
        var (code, output) = CliRunner.Run("coulomb", TestData.Fixture("test_configs.xyz"), "--multipoles-key", "formal_oxidation_states");
        Assert.Equal(1, code);
        Assert.Contains("frame 0", output);
        Assert.Contains("'formal_oxidation_states'", output);
        Assert.Contains("at least 4", output);
        Assert.Contains("found 1", output);
    }

    [Fact]
    public void PeriodicMethodOnAFrameWithoutCellIsAnError()
    {
        string input = Temp("nocell.xyz"), output = Temp("nocell-out.xyz");
        ExtXyzWriter.Write(input, [Frame(new double[,] { { 0, 0, 0 }, { 1, 0, 0 } }, new double[,] { { 1 }, { -1 } })]);
        var (code, text) = CliRunner.Run("coulomb", input, "--multipoles-key", "mp", "--atomic_multipoles_max_l", "0",
            "--electrostatic_pbc_method", "pbc", "-o", output);
        Assert.Equal(1, code);
        Assert.Contains("frame 0", text);
        Assert.Contains("needs a cell", text);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData(new[] { "coulomb", "a.xyz", "--multipoles-key", "mp", "--field_feature_widht", "1" }, "did you mean --field_feature_widths")]
    [InlineData(new[] { "coulomb", "a.xyz" }, "--multipoles-key is required")]
    [InlineData(new[] { "coulomb", "--multipoles-key", "mp" }, "exactly one FILE")]
    [InlineData(new[] { "coulomb", "a.xyz", "--multipoles-key", "mp", "--electrostatic_pbc_method", "ewald" }, "unknown electrostatic pbc method")]
    [InlineData(new[] { "coulomb", "a.xyz", "--multipoles-key", "mp", "--atomic_multipoles_max_l", "3" }, "density max l")]
    [InlineData(new[] { "coulomb", "a.xyz", "--multipoles-key", "mp", "--kspace_method", "p3m" }, "unknown kspace method 'p3m'")]
    [InlineData(new[] { "coulomb", "a.xyz", "--multipoles-key", "mp", "--electrostatics_accuracy", "0.5" }, "electrostatics accuracy must be in")]
    [InlineData(new[] { "coulomb", "a.xyz", "--multipoles-key", "mp", "--fermi_level_offset", "1" }, "needs --fermi-level-key")]
    public void WrongUsageExitsWithTwo(string[] args, string expected)
    {
        var (code, output) = CliRunner.Run(args);
        Assert.Equal(2, code);
        Assert.Contains(expected, output);
    }

    [Fact]
    public void WrongNumberOfNormsIsAUsageError()
    {
        var (code, output) = CliRunner.Run("coulomb", TestData.Fixture("test_configs.xyz"), "--multipoles-key", "DMA_coeficients",
            "--field_feature_norms", "[1, 2, 3]");
        Assert.Equal(2, code);
        Assert.Contains("need 4 values", output);
    }

    [Fact]
    public void TablePrintsOneRowPerFrameWithoutWritingAFile()
    {
        var before = Directory.GetFiles(_folder).Length;
        var (code, output) = CliRunner.Run("coulomb", TestData.Fixture("slab_test_configs.xyz"), "--multipoles-key", "some_multipoles");
        Assert.True(code == 0, output);
        Assert.Contains("2 frame(s)", output);
        Assert.Contains("slab", output);
        Assert.Contains("k-vectors", output);
        Assert.Equal(before, Directory.GetFiles(_folder).Length);
    }

    [Fact]
    public void HelpListsEveryOptionWithItsDefault()
    {
        var (code, output) = CliRunner.Run("coulomb", "--help");
        Assert.Equal(0, code);
        string[] options =
        [
            "--multipoles-key", "--output", "--atomic_multipoles_max_l", "--atomic_multipoles_smearing_width",
            "--electrostatic_pbc_method", "--kspace_cutoff_factor", "--include_electrostatic_self_interaction",
            "--field_feature_widths", "--field_feature_max_l", "--field_feature_norms", "--include_field_si",
            "--total-charge-key", "--external-field-key", "--fermi-level-key", "--fermi_level_offset",
            "--kspace_method", "--electrostatics_accuracy",
        ];
        var lines = output.Split('\n');
        foreach (var option in options)
        {
            int line = Array.FindIndex(lines, l => l.TrimStart().StartsWith(option) || l.TrimStart().StartsWith($"-o, {option}"));
            Assert.True(line >= 0, $"{option} missing from help");
            Assert.Contains("default", string.Join(" ", lines.Skip(line).Take(4).TakeWhile((l, i) => i == 0 || !l.TrimStart().StartsWith("--"))));
        }
    }
}
