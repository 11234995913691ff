using MaceScf.Data;

namespace MaceScf.Calculators;

/// <summary>
/// Electrodes at a potential difference (docs/response.md, "Electrodes at a potential difference"): every atom belongs to a
/// region, 0 the electrolyte and r = 1..R electrode r. The SCF holds electrode r at the Fermi level μ_r (V, the same quantity
/// and sign as a structure's Fermi level: raising μ_r takes positive charge away from the electrode) and the electrolyte at its
/// total charge (a constant-charge SCF) or at the structure's Fermi level (constant μ). The energy is the grand potential of
/// the electrodes, E + Σ_r μ_r Q_r. Conditions of the run, never labels.
/// </summary>
/// <param name="Regions">[N] the region of every atom: 0 the electrolyte, 1..R the electrodes</param>
/// <param name="FermiLevels">[R] the Fermi level μ_r (V) of electrode r = 1..R</param>
/// <param name="ElectrolyteCharge">the total charge (e) of the electrolyte region, held in a constant-charge SCF</param>
public sealed record ElectrodeConditions(int[] Regions, double[] FermiLevels, double ElectrolyteCharge = 0)
{
    /// <summary>What is wrong with these conditions for a structure of <paramref name="atomCount"/> atoms, or null.</summary>
    /// <param name="atomCount">atoms of the structure</param>
    /// <param name="regionKey">how the regions are called in the message (the file's arrays key)</param>
    public string? Problem(int atomCount, string regionKey = PropertyKeys.ElectrodeRegion)
    {
        if (FermiLevels.Length == 0) return "no electrode Fermi levels were given";
        if (FermiLevels.Any(m => !double.IsFinite(m))) return $"electrode Fermi levels must be finite, got {string.Join(' ', FermiLevels)}";
        if (!double.IsFinite(ElectrolyteCharge)) return $"the electrolyte charge must be finite, got {ElectrolyteCharge}";
        if (Regions.Length != atomCount) return $"'{regionKey}' has {Regions.Length} entries for {atomCount} atoms";
        int bad = Array.FindIndex(Regions, r => r < 0 || r > FermiLevels.Length);
        if (bad >= 0)
            return $"'{regionKey}' of atom {bad} is {Regions[bad]}; the regions are 0 (electrolyte) and 1..{FermiLevels.Length} "
                + $"(one per electrode Fermi level given)";
        var empty = Enumerable.Range(1, FermiLevels.Length).Where(r => !Regions.Contains(r)).ToArray();
        if (empty.Length > 0)
            return $"electrode {string.Join(", ", empty)} has no atoms ('{regionKey}' has no entry {string.Join(" or ", empty)}); "
                + $"tag its atoms or give {FermiLevels.Length - empty.Length} Fermi level(s)";
        return null;
    }

    /// <summary>The conditions with the regions read from a frame's per-atom array <paramref name="regionKey"/>.</summary>
    /// <exception cref="InvalidDataException">names the file, the frame and the key when the array is missing or wrong</exception>
    public static ElectrodeConditions FromFrame(Configuration frame, string regionKey, double[] fermiLevels, double? electrolyteCharge = null)
    {
        if (!frame.Arrays.TryGetValue(regionKey, out var array))
            throw new InvalidDataException($"{frame.DescribeOrigin()}: no per-atom array '{regionKey}' (the electrode region of every atom: "
                + $"0 electrolyte, 1..{fermiLevels.Length} electrodes); its arrays are "
                + (frame.Arrays.Count == 0 ? "(none)" : string.Join(", ", frame.Arrays.Keys)) + ". Tag the atoms or name the key with --electrode-key");
        int[] regions = array switch
        {
            long[] l => l.Select(v => (int)Math.Clamp(v, -1, int.MaxValue)).ToArray(),
            int[] i => i,
            _ => throw new InvalidDataException($"{frame.DescribeOrigin()}: the per-atom array '{regionKey}' must hold one integer per atom "
                + "(0 electrolyte, 1..R electrodes)"),
        };
        double charge = electrolyteCharge ?? (frame.Info.TryGetValue(PropertyKeys.ElectrolyteCharge, out var q) ? Convert.ToDouble(q) : 0.0);
        var conditions = new ElectrodeConditions(regions, fermiLevels, charge);
        if (conditions.Problem(frame.AtomCount, regionKey) is { } problem) throw new InvalidDataException($"{frame.DescribeOrigin()}: {problem}");
        return conditions;
    }
}
