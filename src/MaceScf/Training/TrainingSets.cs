using MaceScf.Data;

namespace MaceScf.Training;

/// <summary>
/// The labelled training, validation and test sets of a run and the species table (docs/training.md, "What a run does").
/// </summary>
public sealed record TrainingSets
{
    /// <param name="train">the training frames</param>
    /// <param name="valid">the validation frames</param>
    /// <param name="tests">the test file split by config_type, in order of first appearance</param>
    /// <param name="species">the elements of the model, in order</param>
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

    /// <summary>As above from the data options; with <paramref name="shard"/>, as one rank reads with shard_data.</summary>
    /// <param name="data">the data options: files, key mapping, validation split</param>
    /// <param name="multipoleMaxL">L of the model's multipoles: (L+1)² coefficients per atom are read</param>
    /// <param name="shard">with shard_data, this rank and the number of ranks: the training frames are a
    /// <see cref="ShardedFrames"/> (this rank's shard in memory, the file streamed for the rest)</param>
    internal static TrainingSets Load(DataOptions data, int multipoleMaxL, (int Rank, int Ranks)? shard = null)
    {
        var extractor = new LabelExtractor(data.Heads, multipoleMaxL, data.ConfigTypeWeights);
        var warnings = new List<string>();
        List<LabelledConfiguration> Read(string option, string path)
        {
            var frames = ExtXyzReader.ReadAll(Existing(option, path));
            if (frames.Count == 0) throw new InvalidDataException($"{option} '{path}' has no frames");
            warnings.AddRange(HeadsCoverage.Check(frames, data.Heads, path));
            return extractor.ExtractAll(frames).ToList();
        }
        IReadOnlyList<LabelledConfiguration> train;
        List<LabelledConfiguration> valid;
        int total;
        if (shard is { } mine)
        {
            (train, valid, total) = ReadShard(data, extractor, mine.Rank, mine.Ranks, warnings);
            if (data.ValidFile is not null) valid = Read("valid_file", data.ValidFile);
        }
        else
        {
            var all = Read("train_file", data.TrainFile);
            total = all.Count;
            (train, valid) = data.ValidFile is null ? Split(all, data.ValidFraction, data.ValidSetSeed, data.TrainFile) : (all, Read("valid_file", data.ValidFile));
        }
        if (data.ValidFile is null && train.Count < valid.Count)
            warnings.Add($"valid_fraction {data.ValidFraction} leaves {train.Count} training frame(s) against {valid.Count} for validation "
                + $"(of {total} in '{data.TrainFile}'); lower valid_fraction or give valid_file");
        var tests = data.TestFile is null
            ? []
            : Read("test_file", data.TestFile).GroupBy(f => f.ConfigType).Select(g => (g.Key, (IReadOnlyList<LabelledConfiguration>)g.ToList())).ToList();
        var species = SpeciesTable.FromConfigurations(train.Concat(valid).Concat(tests.SelectMany(t => t.Item2)).Select(f => f.Configuration));
        return new TrainingSets(train, valid, tests, species) { Warnings = warnings };
    }

    static string Existing(string option, string path) => File.Exists(path) ? path
        : throw new FileNotFoundException($"{option} not found: '{path}' (a relative path in config.yaml is relative to the config "
            + "file's folder, on the command line to the current directory)", path);

    /// The training file read by one rank of R with shard_data, in two streaming passes: the first parses every frame and
    /// notes its atom count and keys (for the coverage check, as Read does); the second extracts every frame's labels (with
    /// their checks) and keeps the validation frames split off (without valid_file) and this rank's shard of the training
    /// frames. Every rank reads the same file and so finds the same split and counts.
    static (ShardedFrames Train, List<LabelledConfiguration> Valid, int Total) ReadShard(DataOptions data, LabelExtractor extractor, int rank,
        int ranks, List<string> warnings)
    {
        string path = Existing("train_file", data.TrainFile);
        IEnumerable<LabelledConfiguration> Frames() => extractor.ExtractAll(ExtXyzReader.Read(path));
        var atoms = new List<int>();
        var keys = new List<Configuration>();
        foreach (var c in ExtXyzReader.Read(path))
        {
            atoms.Add(c.AtomCount);
            // The keys and periodicity are all the coverage check reads.
            var skeleton = new Configuration([], new double[0, 3], null, c.Pbc);
            foreach (var (key, value) in c.Info) skeleton.Info[key] = value;
            foreach (var key in c.Arrays.Keys) skeleton.Arrays[key] = Array.Empty<double>();
            keys.Add(skeleton);
        }
        if (atoms.Count == 0) throw new InvalidDataException($"train_file '{path}' has no frames");
        warnings.AddRange(HeadsCoverage.Check(keys, data.Heads, path));
        var positions = Enumerable.Range(0, atoms.Count).ToList();
        var validIndices = data.ValidFile is null ? Split(positions, data.ValidFraction, data.ValidSetSeed, path).Valid.ToHashSet() : [];
        var trainIndices = positions.Where(i => !validIndices.Contains(i)).ToList();
        IEnumerable<LabelledConfiguration> TrainFrames() => Frames().Where((_, i) => !validIndices.Contains(i));
        var held = new Dictionary<int, LabelledConfiguration>();
        var valid = new List<LabelledConfiguration>();
        int position = 0;
        foreach (var (frame, i) in Frames().Select((f, i) => (f, i)))
        {
            if (validIndices.Contains(i))
            {
                valid.Add(frame);
                continue;
            }
            if (ShardedFrames.Owner(position, data.ValidBatchSize, ranks) == rank) held[position] = frame;
            position++;
        }
        return (new ShardedFrames(TrainFrames, trainIndices.Select(i => atoms[i]).ToArray(), held, data.ValidBatchSize, ranks), valid, atoms.Count);
    }

    /// A seeded Fisher–Yates permutation; the first ⌈fraction·n⌉ frames of it (at least 1) are the validation set. A fraction
    /// that leaves no training frame is an <see cref="InvalidDataException"/> naming <paramref name="file"/>.
    internal static (List<T> Train, List<T> Valid) Split<T>(IReadOnlyList<T> frames, double fraction, int seed, string file = "the training file")
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
