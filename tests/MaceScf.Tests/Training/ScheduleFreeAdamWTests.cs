using MaceScf.Tests.Cli;
using MaceScf.Training;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

public sealed class ScheduleFreeAdamWTests
{
    const double Beta1 = 0.9, Beta2 = 0.999, Decay = 0.1;

    static readonly double[] A = [2.0, 0.5], B = [1.0, -3.0], Start = [0.3, 0.7];

    /// Learning rate of step t (1-based): raised at step 4 so lr_max changes.
    static double Lr(int t) => t < 4 ? 0.05 : 0.2;

    /// Loss ½ Σ a_i (w_i − b_i)², gradient a_i (w_i − b_i).
    static double Gradient(double w, int i) => A[i] * (w - B[i]);

    [Fact]
    public void Five_steps_on_a_quadratic_match_the_published_equations()
    {
        var w = new Parameter(tensor(Start, dtype: ScalarType.Float64));
        using var optimizer = new ScheduleFreeAdamW([new ParameterGroup("g", Decay, [w])], Lr(1), Beta1, Beta2);

        double[] z = [.. Start], x = [.. Start], y = [.. Start], v = new double[2];
        double lrMax = -1, weightSum = 0;
        for (int t = 1; t <= 5; t++)
        {
            optimizer.SetLearningRates([Lr(t)]);
            optimizer.ZeroGrad();
            using (var loss = (tensor(A, dtype: ScalarType.Float64).Times(0.5) * (w - tensor(B, dtype: ScalarType.Float64)).Squared()).sum())
                loss.backward();
            optimizer.Step();

            double lr = Lr(t) * Math.Sqrt(1 - Math.Pow(Beta2, t));
            lrMax = Math.Max(lrMax, lr);
            weightSum += lrMax * lrMax;
            double c = lrMax * lrMax / weightSum;
            for (int i = 0; i < 2; i++)
            {
                double g = Gradient(y[i], i);
                v[i] = Beta2 * v[i] + (1 - Beta2) * g * g;
                z[i] -= lr * (g / (Math.Sqrt(v[i]) + 1e-8) + Decay * y[i]);
                x[i] = (1 - c) * x[i] + c * z[i];
                y[i] = (1 - Beta1) * z[i] + Beta1 * x[i];
            }
            var (zt, xt, vt) = optimizer.StateOf(w)!.Value;
            for (int i = 0; i < 2; i++)
            {
                Assert.Equal(z[i], zt[i].item<double>(), 12);
                Assert.Equal(x[i], xt[i].item<double>(), 12);
                Assert.Equal(v[i], vt[i].item<double>(), 12);
                Assert.Equal(y[i], w[i].item<double>(), 12);
            }
        }
        Assert.NotEqual(x[0], z[0], 3);
    }

    [Fact]
    public void Eval_and_train_switch_the_parameters_between_x_and_y_exactly()
    {
        var w = new Parameter(tensor(Start, dtype: ScalarType.Float64));
        using var optimizer = new ScheduleFreeAdamW([new ParameterGroup("g", Decay, [w])], 0.1, Beta1, Beta2);
        for (int t = 0; t < 3; t++)
        {
            optimizer.ZeroGrad();
            using (var loss = (w - tensor(B, dtype: ScalarType.Float64)).Squared().sum()) loss.backward();
            optimizer.Step();
        }
        double[] y = Values(w);
        var (_, x, _) = optimizer.StateOf(w)!.Value;
        Assert.NotEqual(Values(x), y);

        optimizer.Eval();
        Assert.False(optimizer.TrainMode);
        Assert.Equal(Values(x), Values(w));
        optimizer.Eval();
        Assert.Equal(Values(x), Values(w));
        Assert.Throws<InvalidOperationException>(optimizer.Step);
        optimizer.Train();
        Assert.True(optimizer.TrainMode);
        Assert.Equal(y, Values(w));
    }

    [Fact]
    public void The_state_saved_in_eval_mode_restores_the_same_training_point()
    {
        string folder = Directory.CreateTempSubdirectory("macescf-sf-").FullName;
        var w = new Parameter(tensor(Start, dtype: ScalarType.Float64));
        using var optimizer = new ScheduleFreeAdamW([new ParameterGroup("g", Decay, [w])], 0.1, Beta1, Beta2);
        optimizer.ZeroGrad();
        using (var loss = (w - tensor(B, dtype: ScalarType.Float64)).Squared().sum()) loss.backward();
        optimizer.Step();
        double[] y = Values(w);
        optimizer.Eval();
        optimizer.Save(folder);

        var copy = new Parameter(tensor(Values(w), dtype: ScalarType.Float64));
        using var restored = new ScheduleFreeAdamW([new ParameterGroup("g", Decay, [copy])], 0.1, Beta1, Beta2);
        restored.Load(folder);
        Assert.False(restored.TrainMode);
        restored.Train();
        Assert.Equal(y, Values(copy));
        Directory.Delete(folder, true);
    }

    [Fact]
    public void Macescf_train_with_the_default_optimizer_lowers_the_loss()
    {
        using var run = new TrainingRunFixture(frames: 4);
        string yaml = TrainingRunFixture.TinyModel.Replace("optimizer: adam\n", "") + """
            train_schedule:
              0:
                name: direct
                start: 0
                end: 5
                loss: {atomic_multipoles: 100.0, total_charge_per_atom: 100.0, dipole_per_atom: 100.0, energy_per_atom: 10.0, forces: 10.0}
                lr: 0.01
                fixed_point_training_options: {mode: direct}

            """;
        Assert.DoesNotContain("optimizer", yaml);
        var (code, output) = CliRunner.Run("train", "--config", run.WriteConfig(yaml), "--work_dir", run.Folder);
        Assert.True(code == 0, output);
        var metrics = MetricsLog.Read(Path.Combine(run.Folder, "results", "tiny_run-5_train.jsonl"));
        Assert.Equal(6, metrics.Count);
        double first = metrics[0].GetProperty("train_loss").GetDouble(), last = metrics[^1].GetProperty("train_loss").GetDouble();
        Assert.True(last < 0.9 * first, $"train loss {first} → {last}");
        Assert.All(metrics, m => Assert.Equal(0.01, m.GetProperty("lr").GetDouble()));
    }

    static double[] Values(Tensor t) => t.detach().contiguous().data<double>().ToArray();
}
