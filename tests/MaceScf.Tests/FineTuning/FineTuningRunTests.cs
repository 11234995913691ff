using MaceScf.Data;
using MaceScf.FineTuning;
using MaceScf.FixedPoint;
using MaceScf.Mace;
using MaceScf.Synthetic;
using MaceScf.Tests.Cli;
using MaceScf.Tests.MaceImport;
using MaceScf.Tests.Training;
using MaceScf.Training;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.FineTuning;

/// `macescf train --foundation_model`: the fixed-point model fine-tuned from data/mace-models/mace_small_HO.model on
/// `macescf synth --system water_cluster` frames.
public sealed class FineTuningRunTests(ITestOutputHelper output) : IDisposable
{
    private readonly TrainingRunFixture _run = new(frames: 4, seed: 11);

    private static string FoundationPath => PythonMaceReferenceTests.ModelPath("mace_small_HO");

    /// The foundation's architecture written out: with it a run from random weights has the same backbone, and the same
    /// options next to foundation_model do not conflict.
    private const string FoundationArchitecture = """
        r_max: 4.5
        num_radial_basis: 8
        num_cutoff_basis: 5
        max_ell: 3
        hidden_irreps: 16x0e+16x1o
        correlation: 3
        num_interactions: 2
        MLP_irreps: 16x0e
        radial_MLP: [16, 16, 16]
        interaction_first: RealAgnosticInteractionBlock
        avg_num_neighbors: 7.5
        compute_avg_num_neighbors: false

        """;

    private const string Common = """
        name: ft
        seed: 5
        heads:
          default:
            info_keys: {energy: energy, total_charge: total_charge, fermi_level: fermi_level, dipole: dipole, external_field: external_field}
            arrays_keys: {forces: forces, atomic_multipoles: atomic_multipoles}
        error_table: PerAtomRMSE
        train_file: train.xyz
        valid_fraction: 0.25
        E0s: foundation
        batch_size: 2
        valid_batch_size: 4
        field_feature_widths: [1.5]
        clip_grad: 100.0

        """;

    private const string DirectStage = """
        train_schedule:
          0:
            name: direct
            start: 0
            end: 0
            loss: {energy_per_atom: 10.0, forces: 100.0}
            lr: 0.01
            fixed_point_training_options: {mode: direct}

        """;

    /// The fixture's weights are random, so a foundation that "knows" the data is emulated by labelling the synthetic frames
    /// with the foundation's energies and forces: loaded correctly (elements, layout, E0s) the backbone starts at the labels,
    /// and only the fixed-point model's own energy terms (Coulomb, local electron energy) are left in the loss.
    [Fact]
    public void LossStartsLowerFromTheFoundation()
    {
        Relabel();
        var fineTuned = _run.Load(Common + FoundationArchitecture + DirectStage, "--foundation_model", FoundationPath);
        var scratch = _run.Load(Common.Replace("E0s: foundation", "E0s: {1: -1.5, 8: -4.25}") + FoundationArchitecture + DirectStage);
        double fromFoundation = InitialLoss(fineTuned, out var foundationSize);
        double fromRandom = InitialLoss(scratch, out var randomSize);
        output.WriteLine($"initial train loss: from the foundation {fromFoundation:G6}, from random weights {fromRandom:G6} ({foundationSize} parameters each)");
        Assert.Equal(randomSize, foundationSize);
        Assert.True(fromFoundation < 0.5 * fromRandom, $"{fromFoundation} vs {fromRandom}");
    }

    /// `macescf train --foundation_model … --freeze backbone`: the run says what it took from the foundation, and the saved
    /// model's backbone (the EMA average, schedule-free optimiser with weight decay) is the loaded foundation, bit for bit.
    [Fact]
    public void CommandLineFineTuningWithAFrozenBackbone()
    {
        string config = _run.WriteConfig(Common + DirectStage + "ema: true\nweight_decay: 0.01\n");
        var (code, text) = CliRunner.Run("train", "--config", config, "--work_dir", _run.Folder, "--foundation_model", FoundationPath,
            "--freeze", "backbone", "--inference_num_scf_steps", "2");
        output.WriteLine(text);
        Assert.True(code == 0, text);
        text = Unwrapped(text);
        Assert.Contains("foundation_model: '" + FoundationPath + "' (Python MACE .model file, SHA-256 ", text);
        Assert.Contains("backbone from it for H, O (of its H, O)", text);
        Assert.Contains("these defaults are overridden: r_max, radial_type, num_radial_basis", text);
        Assert.Contains("E0s (the foundation's): 1: -1.5, 8: -4.25", text);
        Assert.Contains("avg_num_neighbors: 7.5 (the foundation's)", text);
        Assert.Contains("kept at their initialisation (no counterpart in the foundation): interactions.1.skip_tp.weight: 16x1o", text);
        using var trained = ModelFile.Load(Path.Combine(_run.Folder, "ft_run-5.model"));
        using var foundation = FoundationModel.Load(FoundationPath);
        random.manual_seed(1);
        using var reference = new MaceModel(trained.Hyperparameters.ResolvedMace);
        FoundationWeights.LoadInto(foundation.Backbone, reference);
        var expected = reference.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var kept = new[] { "interactions.1.skip_tp.weight", "products.1.symmetric_contractions.contractions.1", "products.1.linear.weight" };
        foreach (var (name, p) in trained.Backbone.named_parameters())
        {
            bool whole = p.eq(expected[name]).all().item<bool>();
            if (kept.Any(k => name.StartsWith(k, StringComparison.Ordinal))) Assert.False(whole, name);
            else Assert.True(whole, $"{name} changed");
        }
    }

    [Fact]
    public void ConflictingArchitectureAndMissingElementsAreRefused()
    {
        string config = _run.WriteConfig(Common + DirectStage + "r_max: 5.0\nhidden_irreps: 16x0e+16x1o\n");
        var (code, text) = CliRunner.Run("train", "--config", config, "--work_dir", _run.Folder, "--foundation_model", FoundationPath,
            "--correlation", "2");
        output.WriteLine(text);
        Assert.Equal(2, code);
        text = Unwrapped(text);
        Assert.Contains("fixes the backbone architecture, but r_max 5.0 (set at " + config + ":", text);
        Assert.Contains("the foundation's: 4.5); correlation 2 (set at command line --correlation; the foundation's: 3): remove these options", text);
        Assert.DoesNotContain("hidden_irreps", text);

        var generator = new SyntheticDataGenerator(SyntheticSystems.Find("charged_cluster")!, new TeacherParameters(), new SynthesisOverrides());
        ExtXyzWriter.Write(_run.TrainFile, generator.Frames(3, 4).ToList());
        config = _run.WriteConfig(Common + DirectStage);
        (code, text) = CliRunner.Run("train", "--config", config, "--work_dir", _run.Folder, "--foundation_model", FoundationPath);
        Assert.Equal(1, code);
        text = Unwrapped(text);
        Assert.Contains("the data has Na, which foundation_model '" + FoundationPath, text);
        Assert.Contains("has no weights for (it has H, O)", text);
    }

    /// The console output without the line breaks of its wrapping.
    internal static string Unwrapped(string text) => text.Replace("\r", "").Replace("\n", "");

    private double InitialLoss(TrainingConfig config, out long parameters)
    {
        var (sets, model) = _run.Build(config);
        using var _ = model;
        parameters = model.ParameterCount;
        return new Trainer(config, sets, model).Evaluate(config.Schedule.Stages[0], sets.Train).Loss;
    }

    /// Energies and forces of the frames as the foundation predicts them.
    private void Relabel()
    {
        using var foundation = FoundationModel.Load(FoundationPath);
        var model = foundation.Backbone;
        var species = new SpeciesTable(model.Hyperparameters.AtomicNumbers);
        var frames = ExtXyzReader.ReadAll(_run.TrainFile);
        foreach (var frame in frames)
        {
            using var scope = NewDisposeScope();
            using var batch = GraphBatch.Build([frame], model.Hyperparameters.RMax, species);
            var inputs = MaceInputs.FromBatch(batch);
            var positions = inputs.Positions.detach().clone().requires_grad_();
            var energy = model.forward(inputs.WithGeometry(positions, inputs.Cell)).Energy;
            var forces = (-TorchSharp.torch.autograd.grad([energy.sum()], [positions])[0]).data<double>().ToArray();
            frame.Info["energy"] = energy.item<double>();
            var array = new double[frame.AtomCount, 3];
            for (int i = 0; i < frame.AtomCount; i++)
                for (int a = 0; a < 3; a++) array[i, a] = forces[3 * i + a];
            frame.Arrays["forces"] = array;
        }
        ExtXyzWriter.Write(_run.TrainFile, frames);
    }

    public void Dispose() => _run.Dispose();
}
