using MaceScf.Data;

namespace MaceScf.Training;

/// The labelled training, validation and test sets of a run and the species table (spec §3.5).
/// <param name="Tests">the test file split by config_type, in order of first appearance</param>
public sealed record TrainingSets(IReadOnlyList<LabelledConfiguration> Train, IReadOnlyList<LabelledConfiguration> Valid,
    IReadOnlyList<(string Name, IReadOnlyList<LabelledConfiguration> Frames)> Tests, SpeciesTable Species)
{
    /// Reads the files through the `heads` key mapping; without valid_file, valid_fraction of the training set (at least
    /// one frame) is split off with a permutation seeded by valid_set_seed.
    public static TrainingSets Load(DataOptions data, int multipoleMaxL)
    {
        var extractor = new LabelExtractor(data.Heads, multipoleMaxL, data.ConfigTypeWeights);
        List<LabelledConfiguration> Read(string path) => extractor.ExtractAll(ExtXyzReader.Read(path)).ToList();
        var all = Read(data.TrainFile);
        if (all.Count == 0) throw new InvalidDataException($"'{data.TrainFile}' has no frames");
        List<LabelledConfiguration> train, valid;
        if (data.ValidFile is not null)
        {
            train = all;
            valid = Read(data.ValidFile);
        }
        else
        {
            (train, valid) = Split(all, data.ValidFraction, data.ValidSetSeed);
        }
        var tests = data.TestFile is null
            ? []
            : Read(data.TestFile).GroupBy(f => f.ConfigType).Select(g => (g.Key, (IReadOnlyList<LabelledConfiguration>)g.ToList())).ToList();
        var species = SpeciesTable.FromConfigurations(train.Concat(valid).Concat(tests.SelectMany(t => t.Item2)).Select(f => f.Configuration));
        return new TrainingSets(train, valid, tests, species);
    }

    /// A seeded Fisher–Yates permutation; the first ⌈fraction·n⌉ frames of it (at least 1, at most n − 1) are the validation set.
    public static (List<LabelledConfiguration> Train, List<LabelledConfiguration> Valid) Split(IReadOnlyList<LabelledConfiguration> frames,
        double fraction, int seed)
    {
        if (frames.Count < 2) throw new InvalidDataException("valid_fraction needs at least two training frames (or give valid_file)");
        var order = Enumerable.Range(0, frames.Count).ToArray();
        new Random(seed).Shuffle(order);
        int validCount = Math.Clamp((int)Math.Ceiling(fraction * frames.Count), 1, frames.Count - 1);
        var valid = order.Take(validCount).Order().Select(i => frames[i]).ToList();
        var train = order.Skip(validCount).Order().Select(i => frames[i]).ToList();
        return (train, valid);
    }
}
