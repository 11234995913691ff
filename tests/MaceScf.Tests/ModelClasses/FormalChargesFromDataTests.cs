using MaceScf.Calculators;
using MaceScf.Data;
using MaceScf.Electrostatics;
using MaceScf.LocalSources;
using MaceScf.Models;
using MaceScf.Tests.Cli;
using MaceScf.Tests.FixedPoint;
using MaceScf.Tests.Mace;
using MaceScf.Tests.Training;
using MaceScf.Training;
using Xunit.Abstractions;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Tests.ModelClasses;

/// LocalSplitCharges with `--formal_charges_from_data`: the formal charges are a per-atom input (the arrays key mapped to
/// charges), Σ(q − q⁰) = 0 still holds exactly, and every frame the model runs on must carry them.
public sealed class FormalChargesFromDataTests(ITestOutputHelper output)
{
    static LocalSourceModel Model(bool fromData, int seed, BoundaryMethod method = BoundaryMethod.Realspace)
    {
        random.manual_seed(seed);
        var model = new LocalSourceModel(new LocalSourceHyperparameters
        {
            Class = ModelClass.LocalSplitCharges,
            Mace = MaceTestSystems.Hyperparameters(),
            Electrostatics = new ElectrostaticsOptions { Method = method, SmearingWidth = 1.0 },
            FormalCharges = fromData ? new Dictionary<int, double>() : new Dictionary<int, double> { [1] = 0.5, [8] = -1.0 },
            FormalChargesFromData = fromData,
        });
        using (no_grad())
        using (var scale = 40.0.ToScalar())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("local_density.", StringComparison.Ordinal) && name.Contains(".linear.", StringComparison.Ordinal)) p.mul_(scale);
        return model;
    }

    static Prediction Run(LocalSourceModel model, SystemInputs inputs) => model.Predict(inputs, new PredictionRequest { Forces = true });

    [Fact]
    public void Per_atom_formal_charges_act_as_the_per_element_ones_and_their_sum_is_conserved()
    {
        using var scope = NewDisposeScope();
        using var perElement = Model(fromData: false, 5);
        using var perAtom = Model(fromData: true, 5);
        var inputs = FixedPointTestSystems.Molecule(charge: 0.0);
        var species = inputs.Graph.Species;
        // The per-element charges given per atom: the same model.
        var elementCharges = tensor(new[] { 0.5, -1.0 }, dtype: ScalarType.Float64).index_select(0, species);
        var a = Run(perElement, inputs);
        var b = Run(perAtom, inputs with { FormalCharges = elementCharges });
        double same = new[] { MaceTestSystems.MaxDiff(a.Energy, b.Energy), MaceTestSystems.MaxDiff(a.Forces!, b.Forces!), MaceTestSystems.MaxDiff(a.Density!, b.Density!) }.Max();
        Assert.True(same < 1e-12, $"{same}");
        // Charges that differ between atoms of one element: the total is their sum, the transfers move charge, the energy changes.
        var formal = tensor(new[] { 0.7, -0.3, 1.0, -1.5, 0.2 }, dtype: ScalarType.Float64);
        var c = Run(perAtom, inputs with { FormalCharges = formal });
        output.WriteLine($"Σq⁰ = {formal.sum().item<double>()}, Σq = {c.TotalCharge!.item<double>():F15}, max |q − q⁰| {MaceTestSystems.MaxDiff(c.Density![.., 0], formal):E2}");
        Assert.Equal(formal.sum().item<double>(), c.TotalCharge!.item<double>(), 12);
        Assert.True(MaceTestSystems.MaxDiff(c.Density![.., 0], formal) > 1e-3);
        Assert.True(MaceTestSystems.MaxDiff(c.Energy, b.Energy) > 1e-3);
        // Permuting the atoms permutes the charges with them.
        int n = (int)inputs.NumAtoms;
        using Scalar last = (n - 1).ToScalar(), end = (-1).ToScalar(), back = (-1).ToScalar();
        var order = arange(last, end, back, dtype: ScalarType.Int64);
        var graph = inputs.Graph with
        {
            Positions = inputs.Graph.Positions.index_select(0, order), Species = species.index_select(0, order),
            EdgeIndex = order.index_select(0, inputs.Graph.EdgeIndex.flatten()).view(2, -1), Batch = inputs.Graph.Batch.index_select(0, order),
        };
        var p = Run(perAtom, inputs with { Graph = graph, FormalCharges = formal.index_select(0, order) });
        double permuted = Math.Max(MaceTestSystems.MaxDiff(p.Energy, c.Energy), MaceTestSystems.MaxDiff(p.Density!, c.Density!.index_select(0, order)));
        Assert.True(permuted < 1e-10, $"{permuted}");
        // Without them the model refuses.
        Assert.Contains("formal_charges_from_data", Assert.Throws<ArgumentException>(() => Run(perAtom, inputs)).Message);
    }

    [Fact]
    public void Forces_and_stress_with_per_atom_formal_charges_are_finite_differences()
    {
        using var scope = NewDisposeScope();
        using var model = Model(fromData: true, 9, BoundaryMethod.Pbc);
        var inputs = FixedPointTestSystems.Periodic() with { FormalCharges = tensor(new[] { 0.6, -0.9, 1.1, -0.8 }, dtype: ScalarType.Float64) };
        var (worstForce, worstStress, forceScale, stressScale) = LocalSourceModelTests.FiniteDifferenceDeviation(model, inputs);
        output.WriteLine($"|F − F_fd| {worstForce:E2} (max |F| {forceScale:E2}), |σ − σ_fd| {worstStress:E2} (max |σ| {stressScale:E2})");
        Assert.True(worstForce < 1e-6 * Math.Max(1, forceScale), $"{worstForce}");
        Assert.True(worstStress < 1e-6 * Math.Max(1, stressScale), $"{worstStress}");
    }

    const string Schedule = """
        train_schedule:
          0: {name: local, start: 0, end: 14, loss: {atomic_multipoles: 1000.0, dipole_per_atom: 100.0, energy_per_atom: 1.0, forces: 1.0}, lr: 0.03}

        """;

    /// The fixture's tiny backbone without field features, reading the formal charges from the arrays key 'formal'.
    static readonly string Tiny = TrainingRunFixture.TinyModel.Replace("field_feature_widths: [1.5]\n", "")
        .Replace("atomic_multipoles: atomic_multipoles}", "atomic_multipoles: atomic_multipoles, charges: formal}");

    /// Per-atom formal charges on every frame of the fixture's water clusters (O −0.8, the hydrogens 0.3 and 0.5 in turn).
    static void AddFormalCharges(string file)
    {
        var frames = ExtXyzReader.ReadAll(file);
        foreach (var f in frames)
        {
            int h = 0;
            f.Arrays["formal"] = f.AtomicNumbers.Select(z => z == 8 ? -0.8 : h++ % 2 == 0 ? 0.3 : 0.5).ToArray();
        }
        ExtXyzWriter.Write(file, frames);
    }

    [Fact]
    public void Training_reads_the_formal_charges_of_every_frame_and_eval_refuses_a_frame_without_them()
    {
        using var run = new TrainingRunFixture(frames: 4);
        AddFormalCharges(run.TrainFile);
        var config = run.Load(Tiny + Schedule, "--model", "LocalSplitCharges", "--formal_charges_from_data", "true");
        var sets = TrainingSets.Load(config.Data, 1);
        var setup = ModelSetup.From(config, sets);
        Assert.Contains(setup.Log, l => l.Contains("per atom from the arrays key 'formal'"));
        random.manual_seed(config.Run.Seed);
        using var model = setup.Build(ScalarType.Float64);
        var stage = config.Schedule.Stages[0];
        var trainer = new Trainer(config, sets, model);
        var (before, _) = trainer.Evaluate(stage, sets.Train);
        var result = trainer.Run();
        var (after, _) = trainer.Evaluate(stage, sets.Train);
        Assert.True(after < 0.9 * before, $"train loss {before} → {after}");
        Assert.True(LocalSourceModelFile.ReadHeader(result.ModelPath).Hyperparameters.FormalChargesFromData);

        // eval reads them through --keys; the total charge of every frame is the sum of its formal charges.
        string evaluated = Path.Combine(run.Folder, "eval.xyz");
        var (code, text) = CliRunner.Run("eval", result.ModelPath, run.TrainFile, "-o", evaluated, "--keys", "charges=formal");
        Assert.True(code == 0, text);
        var trained = FramePrediction.Evaluate(model.Calculator(new()), sets.Train.Concat(sets.Valid).ToList(), CalculatorProperties.Energy, 4)
            .ToDictionary(p => p.Frame.Configuration.FrameIndex, p => p.Results);
        foreach (var f in ExtXyzReader.Read(evaluated))
        {
            Assert.Equal(((double[])f.Arrays["formal"]).Sum(), (double)f.Info["macescf_total_charge"], 12);
            Assert.Equal(trained[f.FrameIndex].Energy, (double)f.Info["macescf_energy"], 9);
        }

        // A frame without them: the file, frame and key are named, exit code 1; training refuses the same way.
        var frames = ExtXyzReader.ReadAll(run.TrainFile);
        frames[2].Arrays.Remove("formal");
        string broken = Path.Combine(run.Folder, "broken.xyz");
        ExtXyzWriter.Write(broken, frames);
        (code, text) = CliRunner.Run("eval", result.ModelPath, broken, "-o", Path.Combine(run.Folder, "eval2.xyz"), "--keys", "charges=formal");
        Assert.Equal(1, code);
        Assert.Contains("broken.xyz, frame 2: no arrays key 'formal'", text);
        var brokenConfig = run.Load(Tiny.Replace("train_file: train.xyz", "train_file: broken.xyz") + Schedule,
            "--model", "LocalSplitCharges", "--formal_charges_from_data", "true");
        var e = Assert.Throws<InvalidDataException>(() => ModelSetup.From(brokenConfig, TrainingSets.Load(brokenConfig.Data, 1)));
        Assert.Contains("frame 2: no arrays key 'formal'", e.Message);
    }

    [Fact]
    public void The_option_and_the_charges_key_are_refused_where_they_do_not_apply()
    {
        const string stage = """
            train_schedule:
              0: {name: local, start: 0, end: 3, loss: {energy_per_atom: 1.0, atomic_multipoles: 1.0}}

            """;
        string withCharges = ConfigFixture.Required.Replace("atomic_multipoles: AIMS_atom_multipoles}", "atomic_multipoles: AIMS_atom_multipoles, charges: q0}") + stage;
        ConfigFixture.Load(withCharges, "--model", "LocalSplitCharges", "--formal_charges_from_data", "true");
        // Not both ways, and not without the key.
        Assert.Contains("not both", ConfigFixture.Fails(withCharges, "--model", "LocalSplitCharges", "--formal_charges_from_data", "true",
            "--atomic_formal_charges", "{1: 0.4, 8: -0.8}").Message);
        var e = ConfigFixture.Fails(ConfigFixture.Required + stage, "--model", "LocalSplitCharges", "--formal_charges_from_data", "true");
        Assert.Equal("formal_charges_from_data", e.KeyPath);
        Assert.Contains("add charges: <key> to heads.DFT.arrays_keys", e.Message);
        // The key is read only by that model; the option belongs to LocalSplitCharges alone.
        Assert.Equal("heads.DFT.arrays_keys.charges", ConfigFixture.Fails(withCharges, "--model", "LocalSplitCharges", "--atomic_formal_charges", "{1: 0.4, 8: -0.8}").KeyPath);
        Assert.Equal("formal_charges_from_data", ConfigFixture.Fails(ConfigFixture.Required + stage, "--model", "LocalCharges", "--formal_charges_from_data", "true").KeyPath);
        Assert.Equal("formal_charges_from_data", ConfigFixture.Fails(ConfigFixture.Required + stage.Replace(", atomic_multipoles: 1.0", ""),
            "--model", "FixedChargeBaselinedMACE", "--formal_charges_from_data", "true", "--atomic_formal_charges", "{1: 0.4, 8: -0.8}").KeyPath);
    }
}
