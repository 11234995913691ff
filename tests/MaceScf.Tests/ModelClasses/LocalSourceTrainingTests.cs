using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.LocalSources;
using MaceScf.Models;
using MaceScf.Tests.Cli;
using MaceScf.Tests.Training;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// `--model LocalCharges`, `LocalSplitCharges`, `FixedChargeBaselinedMACE` and `MACEQEq` trained on the bundled teacher data through the door, their
/// files evaluated by `macescf eval`.
public sealed class LocalSourceTrainingTests
{
    /// The fixture's tiny backbone without the field-feature option.
    static readonly string Tiny = TrainingRunFixture.TinyModel.Replace("field_feature_widths: [1.5]\n", "");

    static string Schedule(string loss) => $$"""
        train_schedule:
          0: {name: local, start: 0, end: 29, loss: {{{loss}}}, lr: 0.03}

        """;

    [Theory]
    [InlineData("LocalCharges", "atomic_multipoles: 1000.0, total_charge_per_atom: 100.0, dipole_per_atom: 100.0, energy_per_atom: 1.0, forces: 1.0")]
    [InlineData("FixedChargeBaselinedMACE", "energy_per_atom: 10.0, forces: 10.0")]
    [InlineData("LocalSplitCharges", "atomic_multipoles: 1000.0, dipole_per_atom: 100.0, energy_per_atom: 1.0, forces: 1.0")]
    [InlineData("MACEQEq", "atomic_multipoles: 1000.0, dipole_per_atom: 100.0, energy_per_atom: 1.0, forces: 1.0")]
    public void Training_lowers_the_loss_and_eval_writes_the_multipoles(string modelClass, string loss)
    {
        using var run = new TrainingRunFixture(frames: 4);
        string[] classOptions = modelClass switch
        {
            "FixedChargeBaselinedMACE" => ["--atomic_formal_charges", "{1: 0.3, 8: -0.6}"],
            "LocalSplitCharges" => ["--atomic_formal_charges", "{1: 0.4, 8: -0.8}"],
            "MACEQEq" => ["--train_hardness", "true"],
            _ => [],
        };
        var config = run.Load(Tiny + Schedule(loss), ["--model", modelClass, .. classOptions]);
        var sets = TrainingSets.Load(config.Data, 1);
        var setup = ModelSetup.From(config, sets);
        random.manual_seed(config.Run.Seed);
        using var model = setup.Build(ScalarType.Float64);
        Assert.Equal(modelClass, model.Class.ToString());
        var stage = config.Schedule.Stages[0];
        var trainer = new Trainer(config, sets, model);
        var (before, beforeErrors) = trainer.Evaluate(stage, sets.Train);
        var result = trainer.Run();
        var (after, afterErrors) = trainer.Evaluate(stage, sets.Train);
        Assert.True(after < 0.9 * before, $"train loss {before} → {after}");
        if (modelClass != "FixedChargeBaselinedMACE")
            Assert.True(afterErrors["atomic_multipoles"] < beforeErrors["atomic_multipoles"], $"{beforeErrors["atomic_multipoles"]} → {afterErrors["atomic_multipoles"]}");
        Assert.Equal(modelClass, LocalSourceModelFile.ReadHeader(result.ModelPath).ModelClass);

        string output = Path.Combine(run.Folder, "eval.xyz");
        var (code, text) = CliRunner.Run("eval", result.ModelPath, run.TrainFile, "-o", output);
        Assert.True(code == 0, text);
        Assert.Contains("atomic multipoles", text);
        var frames = ExtXyzReader.Read(output).ToList();
        var trained = FramePrediction.Evaluate(model.Calculator(new()), sets.Train.Concat(sets.Valid).ToList(), CalculatorProperties.Energy, 4)
            .ToDictionary(p => p.Frame.Configuration.FrameIndex, p => p.Results);
        foreach (var f in frames)
        {
            var density = (double[,])f.Arrays["macescf_density_coefficients"];
            Assert.Equal(4, density.GetLength(1));
            var charges = (double[])f.Arrays["macescf_partial_charges"];
            Assert.Equal(charges.Sum(), (double)f.Info["macescf_total_charge"], 10);
            Assert.Equal(trained[f.FrameIndex].Energy, (double)f.Info["macescf_energy"], 9);
            // MACEQEq also writes the electronegativities and hardnesses its charges equilibrate.
            Assert.Equal(modelClass == "MACEQEq", f.Arrays.ContainsKey("macescf_electronegativity"));
            if (modelClass != "MACEQEq") continue;
            var (chi, hardness) = ((double[])f.Arrays["macescf_electronegativity"], (double[])f.Arrays["macescf_hardness"]);
            for (int i = 0; i < chi.Length; i++)
            {
                Assert.Equal(trained[f.FrameIndex].Electronegativity![i], chi[i], 9);
                Assert.Equal(trained[f.FrameIndex].Hardness![i], hardness[i], 9);
            }
        }
    }
}
