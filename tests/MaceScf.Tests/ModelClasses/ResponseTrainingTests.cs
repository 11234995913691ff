using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.FixedPoint;
using MaceScf.LocalSources;
using MaceScf.Models;
using MaceScf.Synthetic;
using MaceScf.Tests.Cli;
using MaceScf.Tests.Equivariant;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.Mace;
using MaceScf.Tests.Training;
using MaceScf.Training;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// Training on Born charges and polarizabilities (issue 18, item 2): the teacher's exact labels from `macescf synth`, the
/// response of a local-source model and of a direct step or unrolled SCF on the autograd graph, the gradients of the
/// born_charges and polarizability losses, and a model trained on them predicting them better than one trained without.
public sealed class ResponseTrainingTests(ITestOutputHelper output)
{
    static double Relative(Tensor a, Tensor b) => MaceTestSystems.MaxDiff(a, b) / Math.Max(1e-12, MaceTestSystems.MaxAbs(b));

    [Fact]
    public void Synthetic_frames_carry_the_teachers_exact_response_and_it_obeys_the_sum_rule()
    {
        var generator = new SyntheticDataGenerator(SyntheticSystems.Find("water_cluster")!, new TeacherParameters(), new SynthesisOverrides());
        var frames = generator.Frames(2, 3).ToList();
        var labelled = new LabelExtractor(KeyMapping.Default).ExtractAll(frames).ToList();
        foreach (var f in labelled)
        {
            var born = f.BornCharges.Value;
            int n = f.Configuration.AtomCount;
            Assert.Equal(9, born.GetLength(1));
            // At constant charge Σ_i Z*_i = Q I: a rigid translation moves the whole charge.
            double q = f.TotalCharge.Value, worst = 0;
            for (int c = 0; c < 9; c++)
                worst = Math.Max(worst, Math.Abs(Enumerable.Range(0, n).Sum(i => born[i, c]) - (c % 4 == 0 ? q : 0)));
            var alpha = f.Polarizability.Value;
            output.WriteLine($"{f.Configuration.DescribeOrigin()}: Q = {q}, |Σ Z* − Q I| = {worst:E2}, α diagonal {alpha[0, 0]:F5} {alpha[1, 1]:F5} {alpha[2, 2]:F5} e·Å²/V");
            Assert.True(worst < 1e-10, $"{worst}");
            Assert.True(alpha[0, 0] > 0 && alpha[1, 1] > 0 && alpha[2, 2] > 0);
            Assert.True(Math.Abs(alpha[0, 1] - alpha[1, 0]) < 1e-10);
        }
    }

    /// The polarizability test's model with its transfers scaled up, so that the Born charges differ from the formal charges.
    static LocalSourceModel SplitCharges(int seed, BoundaryMethod method)
    {
        var model = PolarizabilityReadoutTests.Model(seed, method);
        using (no_grad())
        using (var scale = 40.0.ToScalar())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("local_density.", StringComparison.Ordinal) && name.Contains(".linear.", StringComparison.Ordinal)) p.mul_(scale);
        return model;
    }

    [Fact]
    public void Split_charge_Born_charges_are_finite_differences_of_the_polarisation_obey_the_sum_rule_and_rotate()
    {
        using var scope = NewDisposeScope();
        using var model = SplitCharges(4, BoundaryMethod.Pbc);
        var inputs = FixedPointTestSystems.Periodic();
        var born = model.Predict(inputs, new PredictionRequest { Forces = false, BornCharges = true }).Response!.BornCharges!;
        Tensor P(Tensor positions) => model.Predict(inputs.WithGeometry(positions, inputs.Graph.Cell), PredictionRequest.EnergyOnly()).Dipole!;
        const double h = 1e-5;
        var r = inputs.Graph.Positions;
        var fd = zeros_like(born);
        for (int i = 0; i < r.shape[0]; i++)
            for (int b = 0; b < 3; b++)
            {
                var step = zeros_like(r);
                step[i, b] = h;
                fd[i, .., b] = ((P(r.Plus(step)) - P(r - step)).DividedBy((2 * h)))[0];
            }
        double vsFd = Relative(born, fd);
        // Σ_i Z*_i = Σ q⁰ I: the transfers and dipoles do not change under a rigid translation.
        double q0 = tensor(new[] { 0.5, -1.0 }, dtype: ScalarType.Float64).index_select(0, inputs.Graph.Species).sum().item<double>();
        double sumRule = MaceTestSystems.MaxDiff(born.sum([0]), eye(3, dtype: ScalarType.Float64).Times(q0));
        // The transfers make Z* differ from the formal charges.
        double transfer = MaceTestSystems.MaxDiff(born, tensor(new[] { 0.5, -1.0 }, dtype: ScalarType.Float64).index_select(0, inputs.Graph.Species).view(-1, 1, 1) * eye(3, dtype: ScalarType.Float64));
        var g = Reference.Orthogonal(new System.Random(2), improper: false);
        var rotated = model.Predict(inputs.WithGeometry(r.matmul(g.T), g.matmul(inputs.Graph.Cell[0].T).T.unsqueeze(0)),
            new PredictionRequest { Forces = false, BornCharges = true }).Response!.BornCharges!;
        double rotation = Relative(rotated, g.matmul(born).matmul(g.T));
        output.WriteLine($"|Z* − FD| / max|Z*| {vsFd:E2}, |Σ Z* − Σq⁰ I| {sumRule:E2}, max |Z* − q⁰ I| {transfer:E2}, rotation {rotation:E2}");
        Assert.True(vsFd < 1e-7, $"{vsFd}");
        Assert.True(sumRule < 1e-10, $"{sumRule}");
        Assert.True(transfer > 1e-3, $"{transfer}");
        Assert.True(rotation < 1e-10, $"{rotation}");
    }

    [Fact]
    public void Unrolled_SCF_response_on_the_graph_equals_the_implicit_response_at_convergence()
    {
        using var scope = NewDisposeScope();
        var model = FixedPointTestSystems.Model(FixedPointTestSystems.Hyperparameters(), 7);
        var inputs = FixedPointTestSystems.Molecule();
        var options = FixedPointTestSystems.TightScf() with { ScfTolerance = 1e-12, NumScfSteps = 200 };
        var request = new PredictionRequest { Scf = options, Forces = false, BornCharges = true, Polarizability = true };
        var implicitResponse = model.Predict(inputs, request).Response!;
        var unrolled = model.Predict(inputs, request with { Method = SolutionMethod.Unroll });
        Assert.True(unrolled.Scf!.AllConverged);
        double born = Relative(unrolled.Response!.BornCharges!, implicitResponse.BornCharges!);
        double alpha = Relative(unrolled.Response!.Polarizability!, implicitResponse.Polarizability!);
        output.WriteLine($"unrolled ({unrolled.Scf.Steps[0]} steps) vs implicit: Born {born:E2}, α {alpha:E2}");
        Assert.True(born < 1e-7 && alpha < 1e-7, $"{born}, {alpha}");
    }

    /// The frames of the fixture's water clusters, labelled with the teacher's response, as one training batch.
    static (TrainingBatch Batch, IReadOnlyList<LabelledConfiguration> Frames) Batch(BatchLayout layout, IReadOnlyList<int> elements)
    {
        var frames = new SyntheticDataGenerator(SyntheticSystems.Find("water_cluster")!, new TeacherParameters(), new SynthesisOverrides()).Frames(2, 11);
        var labelled = new LabelExtractor(KeyMapping.Default).ExtractAll(frames).ToList();
        return (TrainingBatch.Build(labelled, layout, new SpeciesTable(elements)), labelled);
    }

    /// ∂L/∂θ of the loss term by the backward pass and by central differences, for the first entries of a parameter.
    void CheckGradient(IAtomisticModel model, nn.Module module, string parameter, LossTerm term, PredictionRequest request, TrainingBatch batch)
    {
        var p = module.named_parameters().Single(x => x.name == parameter).parameter;
        double Loss()
        {
            using var s = NewDisposeScope();
            return TrainingLoss.Term(term, model.Predict(batch.Inputs, request with { Training = false }), batch).item<double>();
        }
        using (var s = NewDisposeScope())
        {
            foreach (var q in module.parameters()) q.grad = null;
            var loss = TrainingLoss.Term(term, model.Predict(batch.Inputs, request with { Training = true }), batch);
            Assert.True(loss.item<double>() > 0);
            loss.backward();
        }
        var grad = p.grad!.flatten();
        double worst = 0, scale = 0;
        for (int k = 0; k < Math.Min(3, (int)p.numel()); k++)
        {
            double original = p.flatten()[k].item<double>(), h = 1e-5 * Math.Max(1, Math.Abs(original));
            double Shifted(double by)
            {
                using (no_grad()) p.flatten()[k] = original + by;
                return Loss();
            }
            double fd = (Shifted(h) - Shifted(-h)) / (2 * h);
            using (no_grad()) p.flatten()[k] = original;
            double analytic = grad[k].item<double>();
            output.WriteLine($"{term.Name} ∂L/∂{parameter}[{k}]: backward {analytic:E6}, central difference {fd:E6}");
            worst = Math.Max(worst, Math.Abs(analytic - fd));
            scale = Math.Max(scale, Math.Abs(fd));
        }
        Assert.True(scale > 1e-8, $"{scale}");
        Assert.True(worst < 1e-5 * scale, $"{worst} vs {scale}");
    }

    [Theory]
    [InlineData("born_charges", "local_density.0.linear.weight")]
    [InlineData("polarizability", "polarizability_readouts.0.linear.weight")]
    [InlineData("born_charges", "backbone.interactions.0.linear.weight")]
    public void Split_charge_response_losses_have_the_gradients_of_finite_differences(string loss, string parameter)
    {
        using var scope = NewDisposeScope();
        using var model = SplitCharges(6, BoundaryMethod.Realspace);
        var (batch, _) = Batch(new BatchLayout(ScalarType.Float64, model.Hyperparameters.Mace.RMax, 4, 0.0), model.Hyperparameters.Mace.AtomicNumbers);
        using var _ = batch;
        CheckGradient(model, model, parameter, new LossTerm(loss, 1.0, []), new PredictionRequest { Forces = false, BornCharges = loss == "born_charges",
            Polarizability = loss == "polarizability" }, batch);
    }

    [Theory]
    [InlineData("born_charges", nameof(SolutionMethod.Unroll))]
    [InlineData("polarizability", nameof(SolutionMethod.Unroll))]
    [InlineData("polarizability", nameof(SolutionMethod.Direct))]
    public void Fixed_point_response_losses_have_the_gradients_of_finite_differences(string loss, string method)
    {
        using var scope = NewDisposeScope();
        var hp = FixedPointTestSystems.Hyperparameters() with { Mace = MaceTestSystems.Hyperparameters() };
        var model = FixedPointTestSystems.Damped(hp, 3, 0.3);
        var (batch, _) = Batch(BatchLayout.Of(model), model.Hyperparameters.Mace.AtomicNumbers);
        using var __ = batch;
        var parameter = model.named_parameters().First(p => p.name.StartsWith("update.", StringComparison.Ordinal) && p.parameter.numel() > 2).name;
        var scf = new ScfOptions { ConstantCharge = true, MixingParameter = 0.3, NumScfSteps = 6, ScfTolerance = 1e-14, InitialDensity = InitialDensity.FromData };
        CheckGradient(model, model, parameter, new LossTerm(loss, 1.0, []), new PredictionRequest
        {
            Forces = false, Scf = scf, Method = Enum.Parse<SolutionMethod>(method), BornCharges = loss == "born_charges", Polarizability = loss == "polarizability",
        }, batch);
    }

    [Theory]
    [InlineData("FixedPoint")]
    [InlineData("LocalSplitCharges")]
    public void Training_on_the_teachers_response_lowers_its_error(string modelClass)
    {
        using var run = new TrainingRunFixture(frames: 4);
        string heads = TrainingRunFixture.TinyModel
            .Replace("external_field: external_field}", "external_field: external_field, polarizability: polarizability}")
            .Replace("atomic_multipoles: atomic_multipoles}", "atomic_multipoles: atomic_multipoles, born_charges: born_charges}");
        if (modelClass != "FixedPoint") heads = heads.Replace("field_feature_widths: [1.5]\n", "");
        string options = modelClass == "FixedPoint"
            ? ", fixed_point_training_options: {mode: unroll_scf, scf: {num_scf_steps: 4, constant_charge: true, mixing_parameter: 0.3, initial_density: from_data, initial_fermi_level: from_data}}"
            : "";
        string[] classOptions = modelClass == "FixedPoint" ? [] : ["--model", "LocalSplitCharges", "--atomic_formal_charges", "{1: 0.4, 8: -0.8}", "--compute_polarizability", "true"];
        string Schedule(string loss) => $$"""
            train_schedule:
              0: {name: s, start: 0, end: 9, loss: {{{loss}}}, lr: 0.01{{options}}}

            """;
        const string basic = "atomic_multipoles: 100.0, energy_per_atom: 1.0, forces: 1.0";
        string withResponse = basic + ", born_charges: 10.0, polarizability: 1000.0";
        // Both models are scored by the same stage (the one with the response losses).
        var scoring = run.Load(heads + Schedule(withResponse), classOptions).Schedule.Stages[0];
        IReadOnlyDictionary<string, double> Errors(string loss)
        {
            var config = run.Load(heads + Schedule(loss), classOptions);
            var sets = TrainingSets.Load(config.Data, 1);
            random.manual_seed(config.Run.Seed);
            using var model = ModelSetup.From(config, sets).Build(ScalarType.Float64);
            var trainer = new Trainer(config, sets, model);
            var result = trainer.Run();
            if (loss != basic)
            {
                // macescf eval writes both and their errors against the teacher's labels.
                string evaluated = Path.Combine(run.Folder, "eval.xyz");
                var (code, text) = CliRunner.Run("eval", result.ModelPath, run.TrainFile, "-o", evaluated, "--born-charges", "--polarizability");
                Assert.True(code == 0, text);
                Assert.Contains("Born charges", text);
                Assert.Contains("polarizability per atom", text);
                var frame = ExtXyzReader.Read(evaluated).First();
                Assert.Equal(frame.AtomCount, ((double[,])frame.Arrays["macescf_born_charges"]).GetLength(0));
                Assert.Equal(9, ((double[])frame.Info["macescf_polarizability"]).Length);
            }
            return trainer.Evaluate(scoring, sets.Train).Rmse;
        }
        var without = Errors(basic);
        var with = Errors(withResponse);
        output.WriteLine($"{modelClass}: train RMSE without / with the response losses: Born charges {without["born_charges"]:E3} / {with["born_charges"]:E3} e, "
            + $"polarizability per atom {without["polarizability_per_atom"]:E3} / {with["polarizability_per_atom"]:E3} e·Å²/V");
        Assert.True(with["born_charges"] < without["born_charges"], $"{with["born_charges"]} vs {without["born_charges"]}");
        Assert.True(with["polarizability_per_atom"] < without["polarizability_per_atom"], $"{with["polarizability_per_atom"]} vs {without["polarizability_per_atom"]}");
    }

    [Fact]
    public void Implicit_modes_refuse_the_response_losses_by_name()
    {
        string stage = ConfigFixture.DirectSchedule.Replace("{mode: direct}", "{mode: implicit, linear_solve: normal_cg, scf: {num_scf_steps: 10, mixing_parameter: 0.3}}")
            .Replace("atomic_multipoles: 100.0", "atomic_multipoles: 100.0, born_charges: 1.0");
        Assert.NotEqual(ConfigFixture.DirectSchedule, stage);
        var e = ConfigFixture.Fails(ConfigFixture.Required + stage);
        Assert.EndsWith("loss.born_charges", e.KeyPath);
        Assert.Contains("use mode unroll_scf", e.Message);
        ConfigFixture.Load(ConfigFixture.Required + ConfigFixture.DirectSchedule.Replace("atomic_multipoles: 100.0", "atomic_multipoles: 100.0, born_charges: 1.0, polarizability: 1.0"));
    }
}
