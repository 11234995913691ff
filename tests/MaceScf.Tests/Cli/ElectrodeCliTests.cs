using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Synthetic;
using MaceScf.Tests.Driver;
using MaceScf.Tests.FixedPoint;
using Xunit.Abstractions;

namespace MaceScf.Tests.Cli;

/// `macescf eval` and `macescf ipi` with `--electrode-potentials` on `macescf synth --system capacitor` frames, with a model
/// that represents the charges-only teacher (<see cref="ElectrodeTests"/>): the written region charges are the teacher's,
/// and missing or empty regions are errors that name the file, the frame and the key.
public sealed class ElectrodeCliTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-electrode-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static readonly string[] Scf = ["--scf_mixer", "anderson", "--scf_tolerance", "1e-13", "--num_scf_steps", "400", "--mixing_parameter", "0.5"];

    /// (data file, saved model, the teacher's structures) for <paramref name="count"/> capacitor frames.
    private (string Data, string Model, List<SyntheticStructure> Structures) Setup(int count, Func<Configuration, Configuration>? edit = null)
    {
        var (frames, model) = ElectrodeTests.Capacitor(count, 4);
        string data = Path.Combine(_dir, "capacitor.xyz"), path = Path.Combine(_dir, "student.macescf");
        ExtXyzWriter.Write(data, frames.Select(f => edit is null ? f.Frame : edit(f.Frame)));
        using (model) ModelFile.Save(model, path);
        return (data, path, frames.Select(f => f.Structure).ToList());
    }

    [Fact]
    public void Eval_writes_the_teachers_region_charges_and_the_grand_potential()
    {
        var (data, model, structures) = Setup(2);
        string result = Path.Combine(_dir, "out.xyz");
        double[] levels = [-2.9, -2.3];
        var (code, text) = CliRunner.Run(["eval", model, data, "-o", result, "--electrode-potentials", "-2.9 -2.3", .. Scf]);
        output.WriteLine(text);
        Assert.Equal(0, code);
        var written = ExtXyzReader.ReadAll(result);
        double worst = 0;
        for (int g = 0; g < structures.Count; g++)
        {
            var exact = new TeacherModel(TeacherStudent.Teacher).Solve(structures[g] with
            {
                Electrodes = structures[g].Electrodes! with { FermiLevels = levels },
            }).RegionCharges!;
            var charges = (double[])written[g].Info["macescf_region_charges"];
            worst = Math.Max(worst, exact.Zip(charges, (x, y) => Math.Abs(x - y)).Max());
            Assert.Equal(new[] { -2.9, -2.3 }, ((double[])written[g].Info["macescf_region_fermi_levels"])[1..]);
            Assert.Equal(-2.9 * charges[1] - 2.3 * charges[2], (double)written[g].Info["macescf_energy_electrodes"], 1e-10);
        }
        output.Report("max |Q_region − Q_teacher| (e)", worst, 1e-6);
    }

    [Fact]
    public void A_missing_region_key_names_the_file_the_frame_and_the_key()
    {
        var (data, model, _) = Setup(1);
        var (code, text) = CliRunner.Run("eval", model, data, "-o", Path.Combine(_dir, "out.xyz"), "--electrode-potentials", "-2.9 -2.3",
            "--electrode-key", "plates");
        output.WriteLine(text);
        Assert.Equal(1, code);
        Assert.Contains("capacitor.xyz, frame 0: no per-atom array 'plates'", text);
        Assert.Contains("electrode", text);
        Assert.False(File.Exists(Path.Combine(_dir, "out.xyz")));
    }

    [Fact]
    public void An_electrode_without_atoms_names_the_file_the_frame_and_the_key()
    {
        // Frame 1's second electrode is relabelled electrolyte: electrode 2 has no atoms there.
        int index = 0;
        var (data, model, _) = Setup(2, frame =>
        {
            if (index++ == 1) frame.Arrays[PropertyKeys.ElectrodeRegion] = ((long[])frame.Arrays[PropertyKeys.ElectrodeRegion]).Select(r => r == 2 ? 0L : r).ToArray();
            return frame;
        });
        var (code, text) = CliRunner.Run("eval", model, data, "-o", Path.Combine(_dir, "out.xyz"), "--electrode-potentials", "-2.9 -2.3");
        output.WriteLine(text);
        Assert.Equal(1, code);
        Assert.Contains("capacitor.xyz, frame 1: electrode 2 has no atoms ('electrode' has no entry 2)", text);
    }

    [Fact]
    public void Electrode_options_that_do_not_fit_are_usage_errors()
    {
        var (data, model, _) = Setup(1);
        string result = Path.Combine(_dir, "out.xyz");
        var (keyOnly, text) = CliRunner.Run("eval", model, data, "-o", result, "--electrode-key", "electrode");
        Assert.Equal(2, keyOnly);
        Assert.Contains("give the potentials too", text);
        var (response, text2) = CliRunner.Run("eval", model, data, "-o", result, "--electrode-potentials", "-2.9 -2.3", "--born-charges");
        Assert.Equal(2, response);
        Assert.Contains("not available with --electrode-potentials", text2);
        var (ipi, text3) = CliRunner.Run("ipi", model, "--init", data, "--address", "127.0.0.1:1", "--electrode-potentials", "-2.9 -2.3",
            "--total-charge", "0");
        Assert.Equal(2, ipi);
        Assert.Contains("--total-charge does not apply with --electrode-potentials", text3);
    }

    /// The i-PI driver holds the electrodes at their Fermi levels: its energy and forces are the calculator's grand potential
    /// and forces with the initial frame's regions.
    [Fact]
    public async Task Ipi_drives_the_capacitor_at_the_electrode_potentials()
    {
        var (data, model, structures) = Setup(1);
        var frame = ExtXyzReader.ReadAll(data)[0];
        using var server = new FakeIpiServer();
        var driver = Task.Run(() => CliRunner.Run(["ipi", model, "--init", data, "--address", server.Address, "--electrode-potentials", "-2.9 -2.3",
            "--no-warm-start", .. Scf]));
        server.Handshake(driver);
        var (energy, forces, _) = server.Step(frame.Cell!, frame.Positions);
        server.Send("EXIT");
        var (code, text) = await driver.WaitAsync(TimeSpan.FromSeconds(120));
        output.WriteLine(text);
        Assert.Equal(0, code);
        Assert.Contains("region charges 1.000000", text);

        using var student = ModelFile.Load(model).Freeze();
        var expected = new FixedPointCalculator(student, ElectrodeTests.Tight).Calculate(new Structure(frame,
            Electrodes: new ElectrodeConditions(structures[0].Electrodes!.Regions, [-2.9, -2.3], 1.0)));
        Assert.Equal(expected.Energy, energy, 1e-7);
        IpiClientTests.AssertClose(expected.Forces!, forces, 1e-6);
    }
}
