using System.Text.Json;
using System.Text.Json.Nodes;
using MaceScf.Data;
using Spectre.Console;

namespace MaceScf.Cli.Commands;

/// `macescf inspect FILE`: what an extxyz file holds, frame by frame.
internal sealed class InspectCommand : ICommand
{
    public string Name => "inspect";
    public string Summary => "summarise an extxyz file: atoms, species, cell, keys, neighbour counts";
    public IReadOnlySet<string> Flags { get; } = new HashSet<string> { "json" };

    public string Help => """
        usage: macescf inspect FILE [--r-max R] [--total-charge-key KEY] [--json]

        Prints, for every frame of an extended XYZ file: the number of atoms, species counts,
        periodicity, cell volume and the total charge if present; then every per-frame (info)
        and per-atom (arrays) key with the number of frames that carry it.

        options:
          --r-max R              also count neighbours within R Å (min / mean / max per atom)
          --total-charge-key K   info key of the total charge (default: total_charge)
          --json                 print one JSON object per frame (JSON Lines) instead of a table
        """;

    public int Run(CommandLine args, IAnsiConsole console)
    {
        double? rMax = args.Double("r_max");
        string chargeKey = args.String("total_charge_key") ?? "total_charge";
        bool json = args.Flag("json");
        args.RejectUnknown([]);
        if (args.Positional.Count != 1) throw new UsageException("inspect takes exactly one FILE");
        if (rMax is <= 0) throw new UsageException("--r-max must be positive");
        string path = args.Positional[0];

        var table = new Table().AddColumns("frame", "atoms", "species", "pbc", "volume Å³", "charge");
        if (rMax is not null) table.AddColumn($"neighbours < {rMax} Å min/mean/max");
        var infoKeyFrames = new Dictionary<string, int>(StringComparer.Ordinal);
        var arrayKeyFrames = new Dictionary<string, int>(StringComparer.Ordinal);
        int frames = 0;
        var empty = new List<int>();
        foreach (var configuration in ExtXyzReader.Read(path))
        {
            if (configuration.AtomCount == 0) empty.Add(configuration.FrameIndex);
            var summary = FrameSummary.Of(configuration, chargeKey, rMax);
            if (json) console.Profile.Out.Writer.WriteLine(summary.ToJson().ToJsonString(JsonOptions));
            else table.AddRow(summary.TableCells(rMax is not null).Select(Markup.Escape).ToArray());
            foreach (var key in summary.InfoKeys) infoKeyFrames[key] = infoKeyFrames.GetValueOrDefault(key) + 1;
            foreach (var key in summary.ArrayKeys) arrayKeyFrames[key] = arrayKeyFrames.GetValueOrDefault(key) + 1;
            frames++;
        }
        if (!json)
        {
            table.Title = new TableTitle($"{Markup.Escape(path)}: {frames} frame(s)");
            console.Write(table);
            console.WriteLine($"info keys (frames with it): {KeyCounts(infoKeyFrames)}");
            console.WriteLine($"per-atom arrays (frames with it): {KeyCounts(arrayKeyFrames)}");
        }
        if (empty.Count > 0)
            console.WriteLine($"warning: {empty.Count} frame(s) without atoms ({string.Join(", ", empty.Take(10))}{(empty.Count > 10 ? ", …" : "")}); "
                + "eval, coulomb, train and ipi refuse such frames");
        return 0;
    }

    private static string KeyCounts(Dictionary<string, int> counts) =>
        counts.Count == 0 ? "none" : string.Join(", ", counts.Select(kv => $"{kv.Key} ({kv.Value})"));

    private static readonly JsonSerializerOptions JsonOptions = new() { WriteIndented = false };
}

/// The facts `inspect` reports about one frame.
internal sealed record FrameSummary(
    int Frame, int Atoms, SortedDictionary<string, int> Species, bool[] Pbc, double? Volume,
    double? TotalCharge, string[] InfoKeys, string[] ArrayKeys, (int Min, double Mean, int Max)? Neighbours)
{
    public static FrameSummary Of(Configuration c, string chargeKey, double? rMax)
    {
        var species = new SortedDictionary<string, int>(StringComparer.Ordinal);
        foreach (int z in c.AtomicNumbers)
        {
            string symbol = PeriodicTable.Symbol(z);
            species[symbol] = species.GetValueOrDefault(symbol) + 1;
        }
        double? charge = c.Info.TryGetValue(chargeKey, out var q) ? q switch
        {
            double d => d,
            long l => l,
            _ => throw new InvalidDataException($"{c.DescribeOrigin()}: info key '{chargeKey}' is not a number"),
        } : null;
        (int, double, int)? neighbours = null;
        if (rMax is double r && c.AtomCount > 0)
        {
            FrameChecks.RequireFinite(c);
            var list = NeighbourList.Build(c, r);
            var counts = new int[c.AtomCount];
            foreach (int i in list.Receivers) counts[i]++;
            neighbours = (counts.Min(), counts.Average(), counts.Max());
        }
        return new FrameSummary(c.FrameIndex, c.AtomCount, species, c.Pbc, CellVolume(c.Cell), charge,
            c.Info.Keys.ToArray(), c.Arrays.Keys.ToArray(), neighbours);
    }

    private static double? CellVolume(double[,]? h) => h is null ? null : Math.Abs(
        h[0, 0] * (h[1, 1] * h[2, 2] - h[1, 2] * h[2, 1])
        - h[0, 1] * (h[1, 0] * h[2, 2] - h[1, 2] * h[2, 0])
        + h[0, 2] * (h[1, 0] * h[2, 1] - h[1, 1] * h[2, 0]));

    private string PbcText => string.Join(' ', Pbc.Select(p => p ? "T" : "F"));

    public IEnumerable<string> TableCells(bool withNeighbours)
    {
        yield return Frame.ToString();
        yield return Atoms.ToString();
        yield return string.Join(' ', Species.Select(kv => $"{kv.Key}{kv.Value}"));
        yield return PbcText;
        yield return Volume is double v ? v.ToString("F3") : "-";
        yield return TotalCharge is double q ? q.ToString("G6") : "-";
        if (withNeighbours)
            yield return Neighbours is var (min, mean, max) ? $"{min} / {mean:F2} / {max}" : "-";
    }

    public JsonObject ToJson()
    {
        var o = new JsonObject
        {
            ["frame"] = Frame,
            ["atoms"] = Atoms,
            ["species"] = new JsonObject(Species.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)kv.Value))),
            ["pbc"] = new JsonArray(Pbc.Select(p => (JsonNode?)p).ToArray()),
            ["volume"] = Volume,
            ["total_charge"] = TotalCharge,
            ["info_keys"] = new JsonArray(InfoKeys.Select(k => (JsonNode?)k).ToArray()),
            ["array_keys"] = new JsonArray(ArrayKeys.Select(k => (JsonNode?)k).ToArray()),
        };
        if (Neighbours is var (min, mean, max))
            o["neighbours"] = new JsonObject { ["min"] = min, ["mean"] = mean, ["max"] = max };
        return o;
    }
}
