using MaceScf.Training;

namespace MaceScf.Tests.Training;

/// Writes config.yaml text into a fresh temporary folder and loads it with command-line arguments.
public static class ConfigFixture
{
    /// The options every training run must have, besides train_schedule.
    public const string Required = """
        train_file: data/train.xyz
        error_table: EnergyDensityDipoleRMSE
        hidden_irreps: "8x0e+8x1o"
        heads:
          DFT:
            info_keys: {energy: AIMS_energy, total_charge: total_charge}
            arrays_keys: {forces: AIMS_forces, atomic_multipoles: AIMS_atom_multipoles}

        """;

    /// A one-stage direct schedule.
    public const string DirectSchedule = """
        train_schedule:
          0:
            name: direct
            start: 0
            end: 9
            loss: {atomic_multipoles: 100.0, forces: 10.0}
            fixed_point_training_options: {mode: direct}

        """;

    private static readonly System.Collections.Concurrent.ConcurrentBag<string> Folders = CleanedAtExit();

    /// A new folder under the temporary directory, deleted when the test process exits (callers read it until then).
    public static string NewFolder()
    {
        string dir = Path.Combine(Path.GetTempPath(), "macescf-config-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        Folders.Add(dir);
        return dir;
    }

    private static System.Collections.Concurrent.ConcurrentBag<string> CleanedAtExit()
    {
        var folders = new System.Collections.Concurrent.ConcurrentBag<string>();
        AppDomain.CurrentDomain.ProcessExit += (_, _) =>
        {
            foreach (var dir in folders)
                if (Directory.Exists(dir)) Directory.Delete(dir, recursive: true);
        };
        return folders;
    }

    /// Loads <paramref name="yaml"/> saved as config.yaml in a new folder (also used as the current
    /// directory), plus the given command-line arguments.
    public static TrainingConfig Load(string yaml, params string[] args) => Load(yaml, out _, args);

    public static TrainingConfig Load(string yaml, out string folder, params string[] args)
    {
        folder = NewFolder();
        string file = Path.Combine(folder, "config.yaml");
        File.WriteAllText(file, yaml);
        return TrainingConfigLoader.Load(["--config", file, .. args], folder);
    }

    /// The error of loading, which must fail.
    public static ConfigurationException Fails(string yaml, params string[] args) =>
        Assert.Throws<ConfigurationException>(() => Load(yaml, args));
}
