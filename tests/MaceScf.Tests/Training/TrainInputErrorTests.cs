using MaceScf.Tests.Cli;
using Xunit.Abstractions;

namespace MaceScf.Tests.Training;

/// Issue 13 items 3, 9 and 10: what `macescf train` says about inputs that would otherwise train silently on nothing, or
/// fail with a bare .NET message; nothing is trained or written then.
public sealed class TrainInputErrorTests(ITestOutputHelper testOutput)
{
    (int Code, string Output) Train(TrainingRunFixture run, string yaml, params string[] options)
    {
        string config = run.WriteConfig(yaml + RestartAndLockTests.DirectSchedule(0));
        var (code, output) = CliRunner.Run(["train", "--config", config, "--work_dir", run.Folder, .. options]);
        testOutput.WriteLine(output);
        return (code, output);
    }

    static void NothingWritten(TrainingRunFixture run)
    {
        Assert.False(File.Exists(Path.Combine(run.Folder, "tiny_run-5.model")));
        Assert.False(Directory.Exists(Path.Combine(run.Folder, "checkpoints")));
    }

    [Fact]
    public void A_data_file_given_as_config_is_named_without_echoing_it()
    {
        using var run = new TrainingRunFixture(frames: 3);
        var (code, output) = CliRunner.Run("train", "--config", run.TrainFile);
        testOutput.WriteLine(output);
        Assert.Equal(2, code);
        Assert.Contains("is an extended XYZ data file, not a config.yaml", output);
        Assert.True(output.Length < 600, $"{output.Length} characters");
    }

    [Fact]
    public void A_non_yaml_config_is_quoted_only_in_part()
    {
        using var run = new TrainingRunFixture(frames: 3);
        string config = Path.Combine(run.Folder, "notes.yaml");
        File.WriteAllText(config, string.Join(" ", Enumerable.Repeat("word", 500)));
        var (code, output) = CliRunner.Run("train", "--config", config);
        Assert.Equal(2, code);
        Assert.Contains("expected a mapping of option names to values, got 'word word", output);
        Assert.True(output.Length < 400, $"{output.Length} characters");
    }

    [Fact]
    public void A_missing_train_file_is_named_as_the_train_file_with_its_resolved_path()
    {
        using var run = new TrainingRunFixture(frames: 3);
        var (code, output) = Train(run, TrainingRunFixture.TinyModel.Replace("train_file: train.xyz", "train_file: data/nothere.xyz"));
        Assert.Equal(1, code);
        Assert.Contains($"train_file not found: '{Path.Combine(run.Folder, "data", "nothere.xyz")}'", output);
        Assert.Contains("relative to the config file's folder", output);
        NothingWritten(run);
    }

    [Theory]
    [InlineData("1.0")]
    [InlineData("0.9")]
    public void A_valid_fraction_leaving_no_training_frame_is_refused(string fraction)
    {
        using var run = new TrainingRunFixture(frames: 5);
        var (code, output) = Train(run, TrainingRunFixture.TinyModel, "--valid_fraction", fraction);
        Assert.Equal(1, code);
        Assert.Contains($"valid_fraction {fraction[..3].TrimEnd('0').TrimEnd('.')} of the 5 frame(s) of '{run.TrainFile}' leaves no training frame", output);
        NothingWritten(run);
    }

    [Fact]
    public void A_valid_fraction_leaving_fewer_training_than_validation_frames_is_warned_about()
    {
        using var run = new TrainingRunFixture(frames: 5);
        var (code, output) = Train(run, TrainingRunFixture.TinyModel, "--valid_fraction", "0.7");
        Assert.Equal(0, code);
        Assert.Contains($"warning: valid_fraction 0.7 leaves 1 training frame(s) against 4 for validation (of 5 in '{run.TrainFile}')", output);
    }

    [Theory]
    [InlineData("energy: energy", "energy: AIMS_energy", "info_keys maps energy to 'AIMS_energy'")]
    [InlineData("total_charge: total_charge", "total_charge: Q_tot", "info_keys maps total_charge to 'Q_tot'")]
    [InlineData("forces: forces", "forces: AIMS_forces", "arrays_keys maps forces to 'AIMS_forces'")]
    public void A_mapped_key_that_no_frame_has_is_an_error_naming_key_file_and_the_keys_there(string mapped, string wrong, string expected)
    {
        using var run = new TrainingRunFixture(frames: 3);
        var (code, output) = Train(run, TrainingRunFixture.TinyModel.Replace(mapped, wrong));
        Assert.Equal(1, code);
        string flat = string.Join(" ", output.Split('\n', StringSplitOptions.TrimEntries));
        Assert.Contains($"'{run.TrainFile}': heads.default.{expected}, which none of its 3 frame(s) has.", flat);
        Assert.Contains("Its info keys: ", flat);
        Assert.Contains("energy, total_charge", flat);
        Assert.Contains("its arrays keys: forces, atomic_multipoles", flat);
        NothingWritten(run);
    }

    [Fact]
    public void Keys_in_some_frames_and_inputs_taken_at_their_defaults_are_said_once_per_file_with_counts()
    {
        using var run = new TrainingRunFixture(frames: 4);
        var lines = File.ReadAllLines(run.TrainFile).ToList();
        // The first frame loses its energy and total_charge.
        lines[1] = System.Text.RegularExpressions.Regex.Replace(lines[1], @" (energy|total_charge)=\S+", "");
        File.WriteAllLines(run.TrainFile, lines);
        string yaml = TrainingRunFixture.TinyModel.Replace(", external_field: external_field", "");
        var (code, output) = Train(run, yaml, "--valid_file", run.TrainFile);
        Assert.Equal(0, code);
        Assert.Contains($"warning: '{run.TrainFile}': energy ('energy') is in 3 of 4 frames; the other 1 have no such label (weight 0)", output);
        Assert.Contains($"warning: '{run.TrainFile}': total_charge ('total_charge') is in 3 of 4 frames; the other 1 are taken at total_charge 0 (neutral)", output);
        Assert.Contains($"warning: '{run.TrainFile}': external_field is not mapped: all 4 frames are taken at zero external_field", output);
        // Once per file: the train and valid files are the same file here, each read once.
        Assert.Equal(2, output.Split("external_field is not mapped").Length - 1);
    }
}
