using MaceScf.Data;

namespace MaceScf.Training;

/// <summary>
/// The labelled training, validation and test sets of a run and the species table (docs/training.md, "What a run does").
/// </summary>
public sealed record TrainingSets
{
    /// <param name="tests">the test file split by config_type, in order of first appearance</param>
    internal TrainingSets(IReadOnlyList<LabelledConfiguration> train, IReadOnlyList<LabelledConfiguration> valid,
        IReadOnlyList<(string Name, IReadOnlyList<LabelledConfiguration> Frames)> tests, SpeciesTable species)
    {
        Train = train;
        Valid = valid;
        Tests = tests;
        Species = species;
    }

    internal IReadOnlyList<LabelledConfiguration> Train { get; init; }

    internal IReadOnlyList<LabelledConfiguration> Valid { get; init; }

    /// The test file split by config_type, in order of first appearance.
    internal IReadOnlyList<(string Name, IReadOnlyList<LabelledConfiguration> Frames)> Tests { get; init; }

    internal SpeciesTable Species { get; init; }

    /// <summary>
    /// What the user should know about the data: keys in some frames only, inputs taken at their defaults, dipole masks
    /// (<see cref="HeadsCoverage"/>), and a validation split that leaves few training frames.
    /// </summary>
    public IReadOnlyList<string> Warnings { get; init; } = [];

    /// <summary>
    /// Reads the files through the `heads` key mapping; without valid_file, valid_fraction of the training set (at least
    /// one frame) is split off with a permutation seeded by valid_set_seed. A mapped key absent from every frame of a file,
    /// and a missing file, are <see cref="InvalidDataException"/>s / <see cref="FileNotFoundException"/>s naming the option and file.
    /// </summary>
    public static TrainingSets Load(TrainingConfig config) => Load(config.Data, config.Get(TrainingOptions.AtomicMultipolesMaxL));

    internal static TrainingSets Load(DataOptions data, int multipoleMaxL)
    {
        var extractor = new LabelExtractor(data.Heads, multipoleMaxL, data.ConfigTypeWeights);
        var warnings = new List<string>();
        List<LabelledConfiguration> Read(string option, string path)
        {
            if (!File.Exists(path))
                throw new FileNotFoundException($"{option} not found: '{path}' (a relative path in config.yaml is relative to the config "
                    + "file's folder, on the command line to the current directory)", path);
            var frames = ExtXyzReader.ReadAll(path);
            if (frames.Count == 0) throw new InvalidDataException($"{option} '{path}' has no frames");
            warnings.AddRange(HeadsCoverage.Check(frames, data.Heads, path));
            return extractor.ExtractAll(frames).ToList();
        }
        var all = Read("train_file", data.TrainFile);
        List<LabelledConfiguration> train, valid;
        if (data.ValidFile is not null)
        {
            train = all;
            valid = Read("valid_file", data.ValidFile);
        }
        else
        {
            (train, valid) = Split(all, data.ValidFraction, data.ValidSetSeed, data.TrainFile);
            if (train.Count < valid.Count)
                warnings.Add($"valid_fraction {data.ValidFraction} leaves {train.Count} training frame(s) against {valid.Count} for validation "
                    + $"(of {all.Count} in '{data.TrainFile}'); lower valid_fraction or give valid_file");
        }
        var tests = data.TestFile is null
            ? []
            : Read("test_file", data.TestFile).GroupBy(f => f.ConfigType).Select(g => (g.Key, (IReadOnlyList<LabelledConfiguration>)g.ToList())).ToList();
        var species = SpeciesTable.FromConfigurations(train.Concat(valid).Concat(tests.SelectMany(t => t.Item2)).Select(f => f.Configuration));
        return new TrainingSets(train, valid, tests, species) { Warnings = warnings };
    }

    /// A seeded Fisher–Yates permutation; the first ⌈fraction·n⌉ frames of it (at least 1) are the validation set. A fraction
    /// that leaves no training frame is an <see cref="InvalidDataException"/> naming <paramref name="file"/>.
    internal static (List<LabelledConfiguration> Train, List<LabelledConfiguration> Valid) Split(IReadOnlyList<LabelledConfiguration> frames,
        double fraction, int seed, string file = "the training file")
    {
        int validCount = Math.Max(1, (int)Math.Ceiling(fraction * frames.Count));
        if (validCount >= frames.Count)
            throw new InvalidDataException($"valid_fraction {fraction} of the {frames.Count} frame(s) of '{file}' leaves no training frame: "
                + "lower valid_fraction or give a separate valid_file");
        var order = Enumerable.Range(0, frames.Count).ToArray();
        new Random(seed).Shuffle(order);
        var valid = order.Take(validCount).Order().Select(i => frames[i]).ToList();
        var train = order.Skip(validCount).Order().Select(i => frames[i]).ToList();
        return (train, valid);
    }
}
