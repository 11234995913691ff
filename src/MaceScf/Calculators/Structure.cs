using MaceScf.Data;

namespace MaceScf.Calculators;

/// <summary>
/// What a calculator is asked about: one structure and the conditions it is run at (ASE's Atoms with its charge, field and
/// Fermi level). Never reference labels.
/// </summary>
/// <param name="Atoms">species, positions, cell and pbc</param>
/// <param name="TotalCharge">total charge (e) held in a constant-charge SCF; null for neutral</param>
/// <param name="FermiLevel">Fermi level (V) of a constant-μ SCF and where a constant-charge SCF starts μ; null for the model's offset</param>
/// <param name="ExternalField">gradient of the applied potential (V/Å); null for none</param>
/// <param name="Multipoles">[N, K] given multipoles [q, p_y, p_z, p_x, …]: what a Coulomb calculator evaluates, and where an SCF
/// starts with initial_density from_data; null for none</param>
/// <param name="FormalCharges">[N] per-atom formal charges (e) of a LocalSplitCharges model trained with formal_charges_from_data
/// (the arrays key mapped to charges); null for none</param>
/// <param name="Electrodes">electrode regions held at their own Fermi levels (docs/response.md); null for none</param>
public sealed record Structure(Configuration Atoms, double? TotalCharge = null, double? FermiLevel = null, double[]? ExternalField = null,
    double[,]? Multipoles = null, double[]? FormalCharges = null, ElectrodeConditions? Electrodes = null)
{
    /// A frame of a file with the conditions (total charge, Fermi level, field, multipoles) it carries.
    internal static Structure Of(LabelledConfiguration frame) => new(frame.Configuration,
        frame.TotalCharge.IsPresent ? frame.TotalCharge.Value : null, frame.FermiLevel.IsPresent ? frame.FermiLevel.Value : null,
        frame.ExternalField.IsPresent ? frame.ExternalField.Value : null, frame.AtomicMultipoles.IsPresent ? frame.AtomicMultipoles.Value : null,
        frame.FormalCharges.IsPresent ? frame.FormalCharges.Value : null);

    /// <summary>
    /// The frames of an extended XYZ file with their conditions, read through <paramref name="keys"/> (the canonical key names
    /// total_charge, fermi_level, external_field, atomic_multipoles and charges by default); multipoles keep (L+1)² columns.
    /// </summary>
    public static IEnumerable<Structure> ReadAll(string path, KeyMapping? keys = null, int multipoleMaxL = 1)
    {
        var extractor = new LabelExtractor(keys ?? KeyMapping.Default, multipoleMaxL);
        return ExtXyzReader.Read(path).Select(frame => Of(extractor.Extract(frame)));
    }

    /// <summary>Whether any direction is periodic.</summary>
    public bool Periodic => Atoms.Pbc.Any(p => p);

    /// A deep copy, so that a caller changing its arrays in place does not change a cached structure.
    internal Structure Copy() => new(new Configuration(Atoms.AtomicNumbers.ToArray(), (double[,])Atoms.Positions.Clone(),
        (double[,]?)Atoms.Cell?.Clone(), Atoms.Pbc.ToArray()) { SourceName = Atoms.SourceName, FrameIndex = Atoms.FrameIndex },
        TotalCharge, FermiLevel, (double[]?)ExternalField?.Clone(), (double[,]?)Multipoles?.Clone(), (double[]?)FormalCharges?.Clone(),
        Electrodes is null ? null : Electrodes with { Regions = Electrodes.Regions.ToArray(), FermiLevels = Electrodes.FermiLevels.ToArray() });
}

/// What changed between two structures (ASE's system_changes).
[Flags]
internal enum SystemChanges
{
    None = 0,
    Positions = 1,
    Numbers = 2,
    Cell = 4,
    Pbc = 8,
    Conditions = 16,
}

/// The comparison behind a calculator's cache and warm-start reset (ASE's check_state).
internal static class StructureComparison
{
    public static SystemChanges Compare(Structure? previous, Structure current)
    {
        if (previous is null) return SystemChanges.Positions | SystemChanges.Numbers | SystemChanges.Cell | SystemChanges.Pbc | SystemChanges.Conditions;
        var changes = SystemChanges.None;
        var a = previous.Atoms;
        var b = current.Atoms;
        if (!a.AtomicNumbers.SequenceEqual(b.AtomicNumbers)) changes |= SystemChanges.Numbers;
        else if (!Same(a.Positions, b.Positions)) changes |= SystemChanges.Positions;
        if (!Same(a.Cell, b.Cell)) changes |= SystemChanges.Cell;
        if (!a.Pbc.SequenceEqual(b.Pbc)) changes |= SystemChanges.Pbc;
        if (previous.TotalCharge != current.TotalCharge || previous.FermiLevel != current.FermiLevel
            || !Same(previous.ExternalField, current.ExternalField) || !Same(previous.Multipoles, current.Multipoles)
            || !Same(previous.FormalCharges, current.FormalCharges) || !SameElectrodes(previous.Electrodes, current.Electrodes))
            changes |= SystemChanges.Conditions;
        return changes;
    }

    private static bool SameElectrodes(ElectrodeConditions? x, ElectrodeConditions? y) =>
        x is null || y is null ? x is null && y is null
            : x.ElectrolyteCharge == y.ElectrolyteCharge && x.Regions.SequenceEqual(y.Regions) && x.FermiLevels.SequenceEqual(y.FermiLevels);

    private static bool Same(Array? x, Array? y) =>
        x is null || y is null ? x is null && y is null : x.Length == y.Length && x.Rank == y.Rank && x.Cast<double>().SequenceEqual(y.Cast<double>());
}
