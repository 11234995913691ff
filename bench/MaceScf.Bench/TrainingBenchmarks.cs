using System.Diagnostics;
using System.Globalization;
using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Synthetic;
using MaceScf.Training;
using TorchSharp;
using static TorchSharp.torch;

namespace MaceScf.Bench;

/// A periodic liquid-like box of <paramref name="molecules"/> water molecules at the density of `water_box` (31 Å³ per
/// molecule), neutral, without field: the 100- and 300-atom cells of the training benchmark.
internal sealed class LargeWaterBox(int molecules) : ISyntheticSystem
{
    public string Name => "water_box";

    public string Description => $"periodic box of {molecules} water molecules";

    public SyntheticStructure Generate(Random random)
    {
        double edge = Math.Cbrt(molecules * WaterBoxSystem.VolumePerMolecule);
        var builder = new StructureBuilder([edge, edge, edge], [true, true, true]);
        for (int m = 0; m < molecules; m++)
            builder.Add(random, Fragment.Water(random), r => [edge * r.NextDouble(), edge * r.NextDouble(), edge * r.NextDouble()]);
        return builder.Build(ElectronConstraint.TotalCharge(0), new double[3], [0, 0, 0]);
    }
}

/// `training-timing SYSTEM MODE [EPOCHS] [FRAMES]`: seconds per epoch and peak RSS of training steps (batch size 1, force
/// loss with create_graph, Adam) on FRAMES (default 4) frames for EPOCHS (default 3) epochs. SYSTEM: `example` (the first
/// FRAMES frames of examples/conductor/train.xyz) or `water:N` (FRAMES teacher-labelled boxes of N water molecules). MODE:
/// direct, unroll_scf (10 steps, α 0.3), implicit, linearize_dense or linearize_matrix_free (linearize_solve with the
/// dense-Jacobian limit forced above or below the unknown count). Model: random weights with the response scaled as in
/// <see cref="FixedPointBenchmarkSystem"/>, 16 channels, max_L 1, max_ell 2, correlation 2, 2 layers, r_max 4.5 Å, float64.
/// The peak RSS (VmHWM) is reset after the data and model are set up, so it covers the training steps only; run one
/// process per (system, mode).
public static class TrainingTiming
{
    const int Frames = 4;

    public static void Run(string[] args)
    {
        string system = args[0], mode = args[1];
        int epochs = args.Length > 2 ? int.Parse(args[2]) : 3, count = args.Length > 3 ? int.Parse(args[3]) : Frames;
        NativeTuning.Apply();
        torch.set_num_threads(2);
        var directory = Directory.CreateTempSubdirectory("macescf-trainbench").FullName;
        var frames = system == "example"
            ? ExtXyzReader.Read(Path.Combine(RepositoryRoot(), "examples", "conductor", "train.xyz")).Take(count).ToList()
            : new SyntheticDataGenerator(new LargeWaterBox(int.Parse(system["water:".Length..])), new TeacherParameters(), new SynthesisOverrides())
                .Frames(count, 0).ToList();
        ExtXyzWriter.Write(Path.Combine(directory, "train.xyz"), frames);
        var config = TrainingConfigLoader.FromText(Config(mode), "training-timing", directory, []);
        var sets = TrainingSets.Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL));
        var setup = ModelSetup.From(config, sets);
        random.manual_seed(1);
        using var model = new FixedPointModel(setup.Hyperparameters, float64);
        // As in the fixed-point benchmark: scale the random response so that the SCF converges and the solves are accepted.
        using (no_grad())
            foreach (var (name, p) in model.named_parameters())
                if (name.StartsWith("update.element_select_out") || (name.StartsWith("local_density") && name.Contains("linear_3")))
                {
                    using var scale = FixedPointBenchmarkSystem.ResponseScale.ToScalar();
                    p.mul_(scale);
                }
        var stage = config.Schedule.StageOfEpoch(0)!;
        int atoms = sets.Train[0].Configuration.AtomicNumbers.Length;
        int unknowns = 4 * atoms + 1;
        int denseLimit = mode == "linearize_matrix_free" ? 0 : mode == "linearize_dense" ? int.MaxValue : LinearizedSolution.DenseLimit;
        var groups = ParameterGroups.Of(model, config.Optimizer);
        using var optimizer = ITrainingOptimizer.Create(groups, config.Optimizer);
        optimizer.SetLearningRates(groups.Select(g => stage.LrOf(g.Name)).ToList());
        optimizer.Train();
        double setupPeak = PeakResidentMegabytes();
        File.WriteAllText("/proc/self/clear_refs", "5");
        var seconds = new List<double>();
        int scfSteps = 0, fallbacks = 0;
        for (int epoch = 0; epoch < epochs; epoch++)
        {
            var watch = Stopwatch.StartNew();
            foreach (var frame in sets.Train)
            {
                using var scope = NewDisposeScope();
                using var batch = TrainingBatch.Build([frame], model, sets.Species);
                optimizer.ZeroGrad();
                var outputs = model.Predict(batch.Inputs, TrainingRequest.For(stage, forces: true, training: true) with { DenseJacobianLimit = denseLimit });
                TrainingLoss.Compute(stage.Loss, outputs, batch).Total.backward();
                scfSteps += outputs.Scf?.Steps.Sum() ?? 0;
                if (outputs.Derivation?.FellBack == true) fallbacks++;
                optimizer.Step();
            }
            seconds.Add(watch.Elapsed.TotalSeconds);
        }
        Directory.Delete(directory, recursive: true);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"system {system} atoms {atoms} unknowns {unknowns} mode {mode}: s/epoch {string.Join(", ", seconds.Select(s => s.ToString("F2", CultureInfo.InvariantCulture)))}; "
            + $"peak RSS training {PeakResidentMegabytes():F0} MB (setup {setupPeak:F0} MB); SCF updates {scfSteps}, fallbacks {fallbacks} "
            + $"in {epochs * sets.Train.Count} steps"));
    }

    static string Config(string mode)
    {
        string options = mode switch
        {
            "direct" => "mode: direct",
            "unroll_scf" => "mode: unroll_scf, scf: {num_scf_steps: 10, mixing_parameter: 0.3, constant_charge: true, initial_density: from_data}",
            "implicit" => "mode: implicit, scf: {num_scf_steps: 60, mixing_parameter: 0.3, constant_charge: true, initial_density: from_data}",
            "linearize_dense" or "linearize_matrix_free" =>
                "mode: linearize_solve, scf: {num_scf_steps: 60, mixing_parameter: 0.3, constant_charge: true, initial_density: from_data}",
            _ => throw new ArgumentException($"unknown mode '{mode}'"),
        };
        return $$"""
            seed: 1
            work_dir: runs
            heads:
              teacher:
                info_keys: {energy: energy, total_charge: total_charge, fermi_level: fermi_level, dipole: dipole, external_field: external_field}
                arrays_keys: {forces: forces, atomic_multipoles: atomic_multipoles}
            train_file: train.xyz
            valid_file: train.xyz
            E0s: average
            error_table: PerAtomRMSE
            name: trainbench
            r_max: 4.5
            num_channels: 16
            max_L: 1
            max_ell: 2
            correlation: 2
            num_interactions: 2
            radial_MLP: [16, 16]
            atomic_multipoles_max_l: 1
            atomic_multipoles_smearing_width: 1.5
            field_feature_widths: [1.5, 3.0]
            field_feature_norms: average
            optimizer: adam
            batch_size: 1
            train_schedule:
              0:
                name: bench
                start: 0
                end: 0
                loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, energy_per_atom: 10.0, forces: 100.0}
                lr: 0.001
                fixed_point_training_options: {{{options}}}
            """;
    }

    /// VmHWM of /proc/self/status in MB.
    static double PeakResidentMegabytes() =>
        double.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith("VmHWM:"))["VmHWM:".Length..].Trim().Split(' ')[0],
            CultureInfo.InvariantCulture) / 1024;

    static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (!File.Exists(Path.Combine(directory.FullName, "examples", "conductor", "train.xyz"))) directory = directory.Parent!;
        return directory.FullName;
    }
}
