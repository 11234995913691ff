using MaceScf.Data;
using MaceScf.Tests.Cli;
using MaceScf.Tests.Examples;
using MaceScf.Tests.Training;

namespace MaceScf.Tests.Distributed;

/// A reduced copy of the bundled example (6 training, 2 validation and 2 test frames, a tiny backbone) with a direct, an unroll_scf
/// and an implicit stage, and its single-process runs: the references of the distributed runs.
public sealed class ReducedConductor : IDisposable
{
    /// The bundled example's config.yaml with a short schedule (the trainer tests' direct and unroll_scf stages and an implicit
    /// one); its backbone is made tiny on the command line (<see cref="Arguments"/>).
    public static string Config { get; } = File.ReadAllText(ConductorExample.File("config.yaml")).Split("train_schedule:")[0]
        + TrainingRunFixture.DirectThenUnroll + """
          2:
            name: implicit
            start: 4
            end: 5
            loss: {atomic_multipoles: 100.0, total_charge_per_atom: 1000.0, dipole_per_atom: 1000.0, energy_per_atom: 100.0}
            lr: 0.002
            fixed_point_training_options:
              mode: implicit
              scf: {num_scf_steps: 60, scf_tolerance: 1.0e-13, constant_charge: true, mixing_parameter: 0.5, initial_density: from_data, initial_fermi_level: from_data}

        """;

    static readonly string[] TinyBackbone =
    [
        "--num_channels", "4", "--max_ell", "1", "--correlation", "1", "--num_interactions", "1", "--num_radial_basis", "4",
        "--radial_MLP", "[4]", "--MLP_irreps", "2x0e", "--batch_size", "4", "--valid_batch_size", "1", "--restart_latest", "true",
    ];

    public ReducedConductor()
    {
        Folder = Path.Combine(Path.GetTempPath(), "macescf-mpi-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(Folder);
        ExtXyzWriter.Write(Path.Combine(Folder, "train.xyz"), ExtXyzReader.Read(ConductorExample.File("train.xyz")).Take(6).ToList());
        ExtXyzWriter.Write(Path.Combine(Folder, "valid.xyz"), ExtXyzReader.Read(ConductorExample.File("valid.xyz")).Take(2).ToList());
        ExtXyzWriter.Write(Path.Combine(Folder, "test.xyz"), ExtXyzReader.Read(ConductorExample.File("test.xyz")).Take(2).ToList());
        ConfigPath = Path.Combine(Folder, "config.yaml");
        File.WriteAllText(ConfigPath, Config);
    }

    private readonly Dictionary<string, (string Run, string Output)> _single = [];

    /// The run folder of the single-process run with <paramref name="optimizer"/> (the example's adam, or schedulefree),
    /// trained in this process on first use.
    public string Single(string optimizer) => SingleRun(optimizer).Run;

    /// What that run printed.
    public string SingleOutput(string optimizer) => SingleRun(optimizer).Output;

    (string Run, string Output) SingleRun(string optimizer)
    {
        if (_single.TryGetValue(optimizer, out var single)) return single;
        string run = $"single-{optimizer}";
        var (code, output) = CliRunner.Run(Arguments(run, "--optimizer", optimizer));
        Assert.True(code == 0, output);
        return _single[optimizer] = (run, output);
    }

    public string Folder { get; }

    public string ConfigPath { get; }

    /// `train --config ... --work_dir FOLDER/run --model_dir FOLDER/run` and the tiny backbone.
    public string[] Arguments(string run, params string[] more) =>
        ["train", "--config", ConfigPath, "--work_dir", Path.Combine(Folder, run), "--model_dir", Path.Combine(Folder, run), .. TinyBackbone, .. more];

    public string ModelPath(string run) => Path.Combine(Folder, run, "conductor_run-1.model");

    public string MetricsPath(string run) => Path.Combine(Folder, run, "results", "conductor_run-1_train.jsonl");

    public string CheckpointsDir(string run) => Path.Combine(Folder, run, "checkpoints");

    public void Dispose()
    {
        try { Directory.Delete(Folder, true); } catch (IOException) { }
    }
}
