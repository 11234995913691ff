using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Synthetic;
using MaceScf.Tests.FixedPoint;
using Xunit.Abstractions;

namespace MaceScf.Tests.Cli;

/// `macescf eval --born-charges --polarizability` with a model that represents the charges-only conductor teacher
/// (<see cref="TeacherStudent"/>): the written tensors equal the teacher's exact response in both ensembles.
public sealed class ResponseEvalTests(ITestOutputHelper output) : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("macescf-response-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    /// (data file, saved student model, output path, the teacher's structures and solutions) for <paramref name="count"/> conductor frames.
    private (string Data, string Model, string Result, List<(SyntheticStructure, TeacherSolution)> Solved) Setup(int count)
    {
        var generator = new SyntheticDataGenerator(SyntheticSystems.Find("conductor")!, TeacherStudent.Teacher, new SynthesisOverrides());
        string data = Path.Combine(_dir, "conductor.xyz"), model = Path.Combine(_dir, "student.macescf");
        var frames = generator.Frames(count, 6).ToList();
        ExtXyzWriter.Write(data, frames);
        using (var student = TeacherStudent.Build(frames[0])) ModelFile.Save(student, model);
        return (data, model, Path.Combine(_dir, "out.xyz"), generator.Solve(count, 6).ToList());
    }

    /// A frame whose SCF stopped at its step limit has no response: eval names it and exits with 1.
    [Fact]
    public void A_frame_without_a_converged_scf_gets_no_response_and_is_named()
    {
        var (data, model, result, _) = Setup(1);
        var (code, text) = CliRunner.Run("eval", model, data, "-o", result, "--no-forces", "--born-charges", "--num_scf_steps", "3");
        output.WriteLine(text);
        Assert.Equal(1, code);
        Assert.Contains("conductor.xyz, frame 0: no Born charges or polarizability (SCF max_steps_reached)", text);
        Assert.False(ExtXyzReader.ReadAll(result)[0].Arrays.ContainsKey("macescf_born_charges"));
    }

    static double Relative(double[] actual, double[] expected) =>
        actual.Zip(expected, (x, y) => Math.Abs(x - y)).Max() / expected.Max(Math.Abs);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Eval_writes_the_teachers_exact_born_charges_and_polarizabilities(bool constantCharge)
    {
        var (data, model, result, solved) = Setup(2);
        var (code, text) = CliRunner.Run("eval", model, data, "-o", result, "--no-forces", "--born-charges", "--polarizability",
            "--constant_charge", constantCharge ? "true" : "false", "--scf_mixer", "anderson", "--scf_tolerance", "1e-12",
            "--num_scf_steps", "300");
        output.WriteLine(text);
        Assert.Equal(0, code);
        var written = ExtXyzReader.ReadAll(result);
        double born = 0, alpha = 0, alphaMu = 0;
        for (int g = 0; g < solved.Count; g++)
        {
            var (structure, solution) = solved[g];
            // The teacher in the SCF's ensemble: its own Fermi level, or the total charge of that solution.
            var exact = TeacherResponse.Of(TeacherStudent.Teacher,
                constantCharge ? structure with { Constraint = ElectronConstraint.TotalCharge(solution.TotalCharge) } : structure);
            var z = (double[,])written[g].Arrays["macescf_born_charges"];
            Assert.Equal(new[] { structure.AtomCount, 9 }, new[] { z.GetLength(0), z.GetLength(1) });
            born = Math.Max(born, Relative(z.Cast<double>().ToArray(), exact.BornCharges.Cast<double>().ToArray()));
            alpha = Math.Max(alpha, Relative((double[])written[g].Info["macescf_polarizability"], exact.Polarizability.Cast<double>().ToArray()));
            alphaMu = Math.Max(alphaMu, Relative((double[])written[g].Info["macescf_polarizability_constant_fermi_level"],
                exact.PolarizabilityAtFermiLevel.Cast<double>().ToArray()));
        }
        string ensemble = constantCharge ? "constant charge" : "constant Fermi level";
        output.Report($"{ensemble}: Born charges, max deviation / max |Z*|", born, 1e-5);
        output.Report($"{ensemble}: α at constant charge, relative", alpha, 1e-5);
        output.Report($"{ensemble}: α at constant Fermi level, relative", alphaMu, 1e-5);
    }
}
