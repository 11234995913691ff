using MaceScf.Data;
using MaceScf.FixedPoint;
using MaceScf.Synthetic;
using MaceScf.Training;
using static TorchSharp.torch;

namespace MaceScf.Tests.Training;

/// A folder with synthetic teacher data (water clusters) and a tiny-model config.yaml for training runs.
public sealed class TrainingRunFixture : IDisposable
{
    public const string TinyModel = """
        name: tiny
        seed: 5
        heads:
          default:
            info_keys: {energy: energy, total_charge: total_charge, fermi_level: fermi_level, dipole: dipole, external_field: external_field}
            arrays_keys: {forces: forces, atomic_multipoles: atomic_multipoles}
        error_table: PerAtomRMSE
        train_file: train.xyz
        valid_fraction: 0.25
        E0s: average
        optimizer: adam
        batch_size: 2
        valid_batch_size: 4
        r_max: 3.0
        num_channels: 2
        max_L: 1
        max_ell: 1
        correlation: 1
        num_interactions: 1
        num_radial_basis: 4
        radial_MLP: [4]
        MLP_irreps: 2x0e
        field_feature_widths: [1.5]
        clip_grad: 100.0

        """;

    public const string DirectThenUnroll = """
        train_schedule:
          0:
            name: direct
            start: 0
            end: 1
            loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, dipole_per_atom: 1000.0, energy_per_atom: 10.0, forces: 100.0}
            lr: 0.01
            fixed_point_training_options: {mode: direct}
          1:
            name: unroll
            start: 2
            end: 3
            loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, dipole_per_atom: 1000.0, energy_per_atom: 1000.0, forces: 100.0}
            lr: 0.001
            fixed_point_training_options:
              mode: unroll_scf
              scf: {num_scf_steps: 4, constant_charge: true, mixing_parameter: 0.3, initial_density: from_data, initial_fermi_level: from_data}

        """;

    public TrainingRunFixture(int frames = 5, int seed = 11)
    {
        Folder = Path.Combine(Path.GetTempPath(), "macescf-train-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        var generator = new SyntheticDataGenerator(SyntheticSystems.Find("water_cluster")!, new TeacherParameters(), new SynthesisOverrides());
        ExtXyzWriter.Write(TrainFile, generator.Frames(frames, seed).ToList());
    }

    public string Folder { get; }

    public string TrainFile => Path.Combine(Folder, "train.xyz");

    public string WriteConfig(string yaml, string file = "config.yaml")
    {
        string path = Path.Combine(Folder, file);
        File.WriteAllText(path, yaml);
        return path;
    }

    public TrainingConfig Load(string yaml, params string[] commandLine) =>
        TrainingConfigLoader.Load([.. commandLine, "--config", WriteConfig(yaml)], Folder);

    /// Data, statistics and a model initialised from the run seed, as `macescf train` builds them.
    public (TrainingSets Sets, FixedPointModel Model) Build(TrainingConfig config)
    {
        var sets = TrainingSets.Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL));
        var setup = ModelSetup.From(config, sets);
        random.manual_seed(config.Run.Seed);
        return (sets, setup.CreateModel());
    }

    public void Dispose()
    {
        try { Directory.Delete(Folder, true); } catch (IOException) { }
    }
}
