using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.FineTuning;
using MaceScf.Mace;
using MaceScf.Tests.Cli;
using MaceScf.Tests.MaceImport;
using MaceScf.Tests.Training;
using MaceScf.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FineTuning;

/// `macescf train --model MACE` and `--model ScaleShiftMACE` with `--foundation_model`, as MACE's fine-tuning builds them:
/// the foundation's architecture and weights for the data's elements, the foundation's scale and shift (a foundation
/// without them: shift 0 for MACE, the data's mean for ScaleShiftMACE), E0s from the E0s option. A model built so starts at
/// the foundation's predictions; `freeze` keeps the loaded groups bit for bit.
public sealed class PlainMaceFineTuningTests(ITestOutputHelper output) : IDisposable
{
    private readonly TrainingRunFixture _run = new(frames: 4, seed: 11);

    private const string Common = """
        name: ft
        seed: 5
        heads:
          default:
            info_keys: {energy: energy, total_charge: total_charge}
            arrays_keys: {forces: forces}
        error_table: PerAtomRMSE
        train_file: train.xyz
        valid_fraction: 0.25
        E0s: foundation
        batch_size: 2
        valid_batch_size: 4
        clip_grad: 100.0
        train_schedule:
          0: {name: readouts, start: 0, end: 1, loss: {energy_per_atom: 10.0, forces: 100.0}, lr: 0.01}

        """;

    private static string FoundationPath(string name) => PythonMaceReferenceTests.ModelPath(name);

    /// The model of the run, built as `macescf train` builds it.
    private (TrainingSets Sets, TrainableModel Model) Build(TrainingConfig config)
    {
        var sets = TrainingSets.Load(config.Data, 0);
        var setup = ModelSetup.From(config, sets);
        random.manual_seed(config.Run.Seed);
        return (sets, setup.Build(ScalarType.Float64, output.WriteLine));
    }

    /// Largest difference of the energies and forces of two calculators over the frames.
    private static double Difference(ModelCalculator a, ModelCalculator b, IEnumerable<Configuration> frames, Func<Configuration, double>? offset = null)
    {
        double worst = 0;
        var properties = CalculatorProperties.Energy | CalculatorProperties.Forces;
        foreach (var frame in frames)
        {
            var (x, y) = (a.Calculate(new Structure(frame), properties), b.Calculate(new Structure(frame), properties));
            worst = Math.Max(worst, Math.Abs(x.Energy + (offset?.Invoke(frame) ?? 0) - y.Energy));
            worst = Math.Max(worst, x.Forces!.Cast<double>().Zip(y.Forces!.Cast<double>(), (p, q) => Math.Abs(p - q)).Max());
        }
        return worst;
    }

    /// The check of the plain class: a `--model MACE` built on the Python fixture's weights gives the Python MACE's
    /// outputs (energy, node energies, forces, stress) on the fixture's four structures to 1e-10.
    [Fact]
    public void MACE_with_the_Python_fixtures_weights_equals_the_Python_outputs()
    {
        var config = _run.Load(Common, "--model", "MACE", "--foundation_model", FoundationPath("mace_small_HO"));
        var (_, model) = Build(config);
        using var _ = model;
        var mace = (MaceModel)model.Module;
        Assert.Equal(PythonMaceReferenceTests.ReferenceParameterCount("mace_small_HO"), mace.ParameterCount);
        PythonMaceReferenceTests.AssertOutputsEqualPython(mace, "mace_small_HO", output);
    }

    [Fact]
    public void MACE_from_the_MACE_fixture_starts_at_the_foundations_predictions()
    {
        var config = _run.Load(Common, "--model", "MACE", "--foundation_model", FoundationPath("mace_small_HO"));
        var (sets, model) = Build(config);
        using var _ = model;
        using var foundation = FoundationModel.Load(FoundationPath("mace_small_HO"));
        var mace = (MaceModel)model.Module;
        Assert.Equal(foundation.Hyperparameters.InteractionFirst, mace.Hyperparameters.InteractionFirst);
        Assert.Equal(1.0, mace.Hyperparameters.AtomicInterScale);
        Assert.Equal(0.0, mace.Hyperparameters.AtomicInterShift);
        double worst = Difference(new MaceCalculator(foundation.Backbone), model.Calculator(new()), sets.Train.Select(f => f.Configuration));
        output.WriteLine($"MACE fine-tuned from mace_small_HO vs the foundation: largest energy/force difference {worst:E2}");
        Assert.True(worst < 1e-12, $"{worst}");
    }

    /// The ScaleShiftMACE fixture restricted to Na and Cl: its scale 1.7 and shift −0.35 are kept, so the fine-tuned model
    /// starts at the foundation's numbers for every Na/Cl structure.
    [Fact]
    public void ScaleShiftMACE_keeps_the_foundations_scale_and_shift_for_a_subset_of_its_elements()
    {
        var frames = PythonMaceReferenceTests.Structures("scaleshift_scalar_NaClO").Select(c => FoundationWeightsTests.Keep(c, [11, 17]))
            .Where(c => c.AtomCount > 1).ToList();
        using (var foundation = FoundationModel.Load(FoundationPath("scaleshift_scalar_NaClO")))
            ExtXyzWriter.Write(_run.TrainFile, Labelled(new MaceCalculator(foundation.Backbone), frames));
        var config = _run.Load(Common, "--model", "ScaleShiftMACE", "--foundation_model", FoundationPath("scaleshift_scalar_NaClO"));
        var (sets, model) = Build(config);
        using var _ = model;
        var mace = (MaceModel)model.Module;
        Assert.Equal([11, 17], mace.Hyperparameters.AtomicNumbers);
        Assert.Equal(1.7, mace.Hyperparameters.AtomicInterScale);
        Assert.Equal(-0.35, mace.Hyperparameters.AtomicInterShift);
        using var again = FoundationModel.Load(FoundationPath("scaleshift_scalar_NaClO"));
        double worst = Difference(new MaceCalculator(again.Backbone), model.Calculator(new()), frames);
        output.WriteLine($"ScaleShiftMACE fine-tuned from scaleshift_scalar_NaClO on Na, Cl: largest difference {worst:E2}");
        Assert.True(worst < 1e-11, $"{worst}");
        // Trained on the foundation's own labels, it starts at a loss of zero.
        Assert.True(new Trainer(config, sets, model).Evaluate(config.Schedule.Stages[0], sets.Train).Loss < 1e-18);
    }

    /// A foundation without scale and shift (Python class MACE) fine-tuned as a ScaleShiftMACE: scale 1 and the data's mean
    /// per-atom interaction energy as shift (MACE's run_train), so every energy is the foundation's plus shift × atoms.
    [Fact]
    public void ScaleShiftMACE_from_a_MACE_foundation_takes_the_datas_mean_as_shift()
    {
        var config = _run.Load(Common.Replace("E0s: foundation", "E0s: {1: -1.0, 8: -3.0}"), "--model", "ScaleShiftMACE",
            "--foundation_model", FoundationPath("mace_small_HO"));
        var (sets, model) = Build(config);
        using var _ = model;
        var mace = (MaceModel)model.Module;
        var e0s = new Dictionary<int, double> { [1] = -1.0, [8] = -3.0 };
        double mean = MaceStatistics.ScaleAndShift(sets.Train, e0s, "rms_forces_scaling").Mean;
        Assert.Equal(1.0, mace.Hyperparameters.AtomicInterScale);
        Assert.Equal(mean, mace.Hyperparameters.AtomicInterShift, 12);
        Assert.NotEqual(0.0, mean);
        using var foundation = FoundationModel.Load(FoundationPath("mace_small_HO"));
        var e0Foundation = FoundationOptions.E0s(foundation, [1, 8]);
        double worst = Difference(new MaceCalculator(foundation.Backbone), model.Calculator(new()), sets.Train.Select(f => f.Configuration),
            c => c.AtomicNumbers.Sum(z => e0s[z] - e0Foundation[z]) + mean * c.AtomCount);
        Assert.True(worst < 1e-10, $"{worst}");
    }

    /// `macescf train --model MACE --foundation_model … --freeze "[embedding, interactions, products]"`: the run loads the
    /// foundation, trains the readouts only, and the saved model's other weights are the foundation's, bit for bit.
    [Fact]
    public void Command_line_fine_tuning_of_MACE_with_frozen_interactions()
    {
        string config = _run.WriteConfig(Common + "ema: true\nweight_decay: 0.01\n");
        var (code, text) = CliRunner.Run("train", "--config", config, "--work_dir", _run.Folder, "--model", "MACE",
            "--foundation_model", FoundationPath("mace_small_HO"), "--freeze", "[embedding, interactions, products]");
        output.WriteLine(text);
        Assert.True(code == 0, text);
        text = FineTuningRunTests.Unwrapped(text);
        Assert.Contains("backbone from it for H, O (of its H, O)", text);
        Assert.Contains("foundation_model: ", text);
        Assert.Contains("backbone weights loaded", text);
        using var trained = MaceModelFile.Load(Path.Combine(_run.Folder, "ft_run-5.model"));
        using var foundation = FoundationModel.Load(FoundationPath("mace_small_HO"));
        var loaded = foundation.Backbone.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        int frozen = 0, trainedReadouts = 0;
        foreach (var (name, p) in trained.named_parameters())
        {
            bool same = p.eq(loaded[name]).all().item<bool>();
            if (name.StartsWith("readouts.", StringComparison.Ordinal))
            {
                if (!same) trainedReadouts++;
            }
            else
            {
                Assert.True(same, $"{name} changed");
                frozen++;
            }
        }
        Assert.True(frozen > 0 && trainedReadouts > 0, $"{frozen} frozen, {trainedReadouts} readout parameters trained");
    }

    /// The frames with the calculator's energies and forces as labels.
    private static List<Configuration> Labelled(ModelCalculator calculator, List<Configuration> frames)
    {
        foreach (var frame in frames)
        {
            var r = calculator.Calculate(new Structure(frame), CalculatorProperties.Energy | CalculatorProperties.Forces);
            frame.Info["energy"] = r.Energy;
            frame.Info["total_charge"] = 0.0;
            frame.Arrays["forces"] = r.Forces!;
        }
        return frames;
    }

    public void Dispose() => _run.Dispose();
}
