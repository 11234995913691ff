using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Mace;
using MaceScf.Models;
using MaceScf.Synthetic;
using MaceScf.Tests.Cli;
using MaceScf.Tests.Mace;
using MaceScf.Tests.Training;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// `--model MACE` and `--model ScaleShiftMACE`: built as run_train builds them, trained through the door (energy, forces,
/// stress), saved as plain MACE model files that `macescf eval` evaluates as the trained model.
public sealed class PlainMaceTrainingTests
{
    /// The fixture's tiny backbone without the fixed-point options.
    internal static readonly string Tiny = TrainingRunFixture.TinyModel.Replace("field_feature_widths: [1.5]\n", "");

    static string Schedule(string loss, int epochs = 8) => $$"""
        train_schedule:
          0: {name: plain, start: 0, end: {{epochs - 1}}, loss: {{{loss}}}, lr: 0.03}

        """;

    [Fact]
    public void MACE_is_built_as_run_train_builds_it_trains_and_its_file_evaluates_as_the_trained_model()
    {
        using var run = new TrainingRunFixture(frames: 4);
        var config = run.Load(Tiny + Schedule("energy_per_atom: 10.0, forces: 100.0"), "--model", "MACE");
        var sets = TrainingSets.Load(config.Data, 1);
        var setup = ModelSetup.From(config, sets);
        var mace = setup.PlainMace!;
        Assert.Equal(ModelClass.MACE, setup.Class);
        Assert.Equal(InteractionKinds.NonResidual, mace.InteractionFirst);
        Assert.Equal(0.0, mace.AtomicInterShift);
        double rms = Math.Sqrt(sets.Train.SelectMany(f => f.Forces.Value.Cast<double>()).Average(x => x * x));
        Assert.Equal(rms, mace.AtomicInterScale, 12);
        Assert.False(mace.KeepLastLayerIrreps);
        // The library's fixed-point door refuses a run of another class instead of building a fixed-point model for it.
        Assert.Contains("CreateModel builds the fixed-point model", Assert.Throws<InvalidOperationException>(() => setup.CreateModel()).Message);

        random.manual_seed(config.Run.Seed);
        using var model = setup.Build(ScalarType.Float64);
        var stage = config.Schedule.Stages[0];
        var trainer = new Trainer(config, sets, model);
        double before = trainer.Evaluate(stage, sets.Train).Loss;
        var result = trainer.Run();
        double after = trainer.Evaluate(stage, sets.Train).Loss;
        Assert.True(after < 0.9 * before, $"train loss {before} → {after}");

        Assert.Equal("MACE", MaceModelFile.ReadHeader(result.ModelPath).ModelClass);
        using var saved = MaceModelFile.Load(result.ModelPath);
        var properties = CalculatorProperties.Energy | CalculatorProperties.Forces;
        var trained = FramePrediction.Evaluate((ModelCalculator)model.Calculator(new()), sets.Train, properties, 2).ToList();
        var loaded = FramePrediction.Evaluate(new MaceCalculator(saved), sets.Train, properties, 2).ToList();
        for (int i = 0; i < trained.Count; i++)
        {
            Assert.Equal(trained[i].Results.Energy, loaded[i].Results.Energy, 12);
            Assert.Equal(trained[i].Results.Forces!.Cast<double>(), loaded[i].Results.Forces!.Cast<double>(), (a, b) => Math.Abs(a - b) < 1e-12);
        }

        // `macescf eval` of the file writes the trained model's energies.
        string output = Path.Combine(run.Folder, "eval.xyz");
        string train = Path.Combine(run.Folder, "train-only.xyz");
        ExtXyzWriter.Write(train, sets.Train.Select(f => f.Configuration));
        var (code, text) = CliRunner.Run("eval", result.ModelPath, train, "-o", output);
        Assert.True(code == 0, text);
        var written = ExtXyzReader.Read(output).ToList();
        for (int i = 0; i < trained.Count; i++) Assert.Equal(trained[i].Results.Energy, (double)written[i].Info["macescf_energy"], 9);
    }

    /// Periodic water boxes labelled by a MACE teacher (energy, forces and stress, the stress in Voigt and 3×3 forms).
    internal static string PeriodicTeacherData(string folder, int frames)
    {
        var generator = new SyntheticDataGenerator(SyntheticSystems.Find("water_box")!, new TeacherParameters(), new SynthesisOverrides());
        var configurations = generator.Frames(frames, 3).ToList();
        using var teacher = MaceTestSystems.Model(17);
        var calculator = new MaceCalculator(teacher);
        for (int k = 0; k < configurations.Count; k++)
        {
            var c = configurations[k];
            var r = calculator.Calculate(new Structure(c), CalculatorProperties.Energy | CalculatorProperties.Forces | CalculatorProperties.Stress);
            c.Info["energy"] = r.Energy;
            c.Arrays["forces"] = r.Forces!;
            var s = r.Stress!;
            c.Info["stress"] = k % 2 == 0 ? new[] { s[0, 0], s[1, 1], s[2, 2], s[1, 2], s[0, 2], s[0, 1] } : s;
        }
        string path = Path.Combine(folder, "boxes.xyz");
        ExtXyzWriter.Write(path, configurations);
        return path;
    }

    internal const string PeriodicHeads = """
        heads:
          default:
            info_keys: {energy: energy, total_charge: total_charge, stress: stress}
            arrays_keys: {forces: forces}

        """;

    [Fact]
    public void ScaleShiftMACE_shifts_by_the_mean_interaction_energy_and_learns_the_stress()
    {
        using var run = new TrainingRunFixture(frames: 1);
        string data = PeriodicTeacherData(run.Folder, 4);
        string yaml = Tiny.Replace(TrainingRunFixture.TinyModel[TrainingRunFixture.TinyModel.IndexOf("heads:")..TrainingRunFixture.TinyModel.IndexOf("error_table")], PeriodicHeads)
            + Schedule("energy_per_atom: 1.0, forces: 10.0, stress: 1000.0");
        var config = run.Load(yaml, "--model", "ScaleShiftMACE", "--train_file", data, "--E0s", "{1: -13.6, 8: -432.1}");
        var sets = TrainingSets.Load(config.Data, 1);
        Assert.All(sets.Train, f => Assert.True(f.Stress.IsPresent));
        var setup = ModelSetup.From(config, sets);
        double mean = sets.Train.Average(f => (f.Energy.Value - f.Configuration.AtomicNumbers.Sum(z => z == 1 ? -13.6 : -432.1)) / f.Configuration.AtomCount);
        Assert.Equal(mean, setup.PlainMace!.AtomicInterShift, 10);
        Assert.Equal(InteractionKinds.Residual, setup.PlainMace.InteractionFirst);

        random.manual_seed(config.Run.Seed);
        using var model = setup.Build(ScalarType.Float64);
        var stage = config.Schedule.Stages[0];
        var trainer = new Trainer(config, sets, model);
        var (beforeLoss, beforeErrors) = trainer.Evaluate(stage, sets.Train);
        var result = trainer.Run();
        var (afterLoss, afterErrors) = trainer.Evaluate(stage, sets.Train);
        Assert.True(afterLoss < 0.9 * beforeLoss, $"train loss {beforeLoss} → {afterLoss}");
        Assert.True(afterErrors["stress"] < beforeErrors["stress"], $"stress RMSE {beforeErrors["stress"]} → {afterErrors["stress"]}");
        Assert.Equal("ScaleShiftMACE", MaceModelFile.ReadHeader(result.ModelPath).ModelClass);
        var lines = MetricsLog.Read(result.MetricsPath);
        Assert.True(lines[^1].GetProperty("rmse").GetProperty("train").GetProperty("stress").GetDouble() > 0);

        // The stress of eval's output is the model's.
        string output = Path.Combine(run.Folder, "eval.xyz");
        var (code, text) = CliRunner.Run("eval", result.ModelPath, data, "-o", output, "--stress", "--keys", "stress=stress");
        Assert.True(code == 0, text);
        Assert.Contains("stress", text);
        Assert.True(ExtXyzReader.Read(output).All(f => f.Info.ContainsKey("macescf_stress")));
    }
}
