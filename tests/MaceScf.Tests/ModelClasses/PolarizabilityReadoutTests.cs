using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.LocalSources;
using MaceScf.Models;
using MaceScf.Tests.Cli;
using MaceScf.Tests.Equivariant;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.Mace;
using MaceScf.Tests.Training;
using MaceScf.Training;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// LocalSplitCharges with `--compute_polarizability`: the local polarizability readout is a symmetric tensor that rotates as
/// α → R α Rᵀ, and the `polarizability` loss trains it.
public sealed class PolarizabilityReadoutTests(ITestOutputHelper output)
{
    /// A model whose polarizability readout is scaled up, so that its anisotropic (2e) part is not small.
    internal static LocalSourceModel Model(int seed, BoundaryMethod method = BoundaryMethod.Realspace)
    {
        random.manual_seed(seed);
        var model = new LocalSourceModel(new LocalSourceHyperparameters
        {
            Class = ModelClass.LocalSplitCharges,
            Mace = MaceTestSystems.Hyperparameters(),
            Electrostatics = new ElectrostaticsOptions { Method = method, SmearingWidth = 1.0 },
            FormalCharges = new Dictionary<int, double> { [1] = 0.5, [8] = -1.0 },
            ComputePolarizability = true,
        });
        using (no_grad())
        using (var scale = 10.0.ToScalar())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("polarizability_readouts.", StringComparison.Ordinal)) p.mul_(scale);
        return model;
    }

    static Tensor Alpha(LocalSourceModel model, SystemInputs inputs) =>
        model.Predict(inputs, new PredictionRequest { Forces = false, Polarizability = true }).Response!.Polarizability!;

    [Fact]
    public void Polarizability_is_symmetric_and_rotates_as_a_rank_two_tensor()
    {
        using var scope = NewDisposeScope();
        using var model = Model(3);
        var inputs = FixedPointTestSystems.Molecule(charge: 0.0);
        var alpha = Alpha(model, inputs);
        Assert.Equal([1L, 3, 3], alpha.shape);
        double scale = MaceTestSystems.MaxAbs(alpha);
        Assert.True(scale > 1e-3, $"{scale}");
        Assert.True(MaceTestSystems.MaxDiff(alpha, alpha.transpose(1, 2)) < 1e-14 * scale);
        // Not isotropic: the 2e part is there.
        var iso = alpha.diagonal(0, 1, 2).mean() * eye(3, dtype: ScalarType.Float64);
        Assert.True(MaceTestSystems.MaxDiff(alpha[0], iso) > 3e-3 * scale, $"{MaceTestSystems.MaxDiff(alpha[0], iso)}");
        double worst = 0;
        var rng = new System.Random(7);
        for (int trial = 0; trial < 3; trial++)
        {
            var g = Reference.Orthogonal(rng, improper: trial == 1);
            var shift = tensor(new[] { 0.3, -2.0, 1.4 }, dtype: ScalarType.Float64);
            var moved = Alpha(model, inputs.WithGeometry(inputs.Graph.Positions.matmul(g.T).Plus(shift), inputs.Graph.Cell));
            worst = Math.Max(worst, MaceTestSystems.MaxDiff(moved[0], g.matmul(alpha[0]).matmul(g.T)) / scale);
        }
        output.WriteLine($"α = [{string.Join(", ", alpha.flatten().data<double>().Select(x => x.ToString("F5")))}], max |α(g r) − g α gᵀ| / max |α| = {worst:E2}");
        Assert.True(worst < 1e-10, $"{worst}");
        // A model without the readout refuses the request by name.
        using var plain = new LocalSourceModel(model.Hyperparameters with { ComputePolarizability = false });
        Assert.Contains("compute_polarizability", Assert.Throws<ArgumentException>(() => Alpha(plain, inputs)).Message);
    }

    /// A geometric target: α_ref = 0.02 Σ_i (r_i − r̄)(r_i − r̄)ᵀ + 0.05 N I (e·Å²/V), written as the 9 numbers ASE writes.
    internal static void AddPolarizability(string file)
    {
        var frames = ExtXyzReader.ReadAll(file);
        foreach (var f in frames)
        {
            int n = f.AtomCount;
            var mean = Enumerable.Range(0, 3).Select(a => Enumerable.Range(0, n).Average(i => f.Positions[i, a])).ToArray();
            var alpha = new double[9];
            for (int a = 0; a < 3; a++)
                for (int b = 0; b < 3; b++)
                    alpha[3 * a + b] = 0.02 * Enumerable.Range(0, n).Sum(i => (f.Positions[i, a] - mean[a]) * (f.Positions[i, b] - mean[b])) + (a == b ? 0.05 * n : 0);
            f.Info["polarizability"] = alpha;
        }
        ExtXyzWriter.Write(file, frames);
    }

    [Fact]
    public void Training_with_the_polarizability_loss_lowers_the_polarizability_error()
    {
        using var run = new TrainingRunFixture(frames: 4);
        AddPolarizability(run.TrainFile);
        string heads = TrainingRunFixture.TinyModel.Replace("field_feature_widths: [1.5]\n", "")
            .Replace("external_field: external_field}", "external_field: external_field, polarizability: polarizability}");
        double Rmse(string loss)
        {
            var config = run.Load(heads + $$"""
                train_schedule:
                  0: {name: local, start: 0, end: 14, loss: {{{loss}}}, lr: 0.03}

                """, "--model", "LocalSplitCharges", "--atomic_formal_charges", "{1: 0.4, 8: -0.8}", "--compute_polarizability", "true");
            var sets = TrainingSets.Load(config.Data, 1);
            random.manual_seed(config.Run.Seed);
            using var model = ModelSetup.From(config, sets).Build(ScalarType.Float64);
            var trainer = new Trainer(config, sets, model);
            var stage = config.Schedule.Stages[0];
            var (before, _) = trainer.Evaluate(stage, sets.Train);
            var result = trainer.Run();
            var (after, errors) = trainer.Evaluate(stage, sets.Train);
            Assert.True(after < before, $"{loss}: train loss {before} → {after}");
            var predictions = FramePrediction.Evaluate(model.Calculator(new()), sets.Train, CalculatorProperties.Energy | CalculatorProperties.Polarizability, 4).ToList();
            double rmse = PredictionErrors.Rmse(predictions)["polarizability_per_atom"];
            output.WriteLine($"{loss}: loss {before:E3} → {after:E3}, train polarizability RMSE per atom {rmse:E3} e·Å²/V");
            // The training metrics (batch tensors) and the calculator agree.
            if (!loss.Contains("polarizability")) return rmse;
            Assert.Equal(rmse, errors["polarizability_per_atom"], 8);
            // macescf eval --polarizability writes the readout's α (9 values) and its error.
            string evaluated = Path.Combine(run.Folder, "eval.xyz");
            var (code, text) = CliRunner.Run("eval", result.ModelPath, run.TrainFile, "-o", evaluated, "--polarizability");
            Assert.True(code == 0, text);
            Assert.Contains("polarizability per atom", text);
            var byFrame = predictions.ToDictionary(p => p.Frame.Configuration.FrameIndex, p => p.Results.Polarizability!);
            foreach (var f in ExtXyzReader.Read(evaluated).Where(f => byFrame.ContainsKey(f.FrameIndex)))
                Assert.Equal(byFrame[f.FrameIndex].Cast<double>(), (double[])f.Info["macescf_polarizability"], (x, y) => Math.Abs(x - y) < 1e-9);
            return rmse;
        }
        double without = Rmse("energy_per_atom: 1.0, forces: 1.0");
        double with = Rmse("energy_per_atom: 1.0, forces: 1.0, polarizability: 100.0");
        Assert.True(with < 0.5 * without, $"{with} vs {without}");
    }
}
