namespace MaceScf.Data;

/// How many configurations carry each property (printed at start-up, as the Python pipeline
/// does, so a wrong key shows up as a zero count).
internal static class LabelCounts
{
    public static IReadOnlyDictionary<string, int> Count(IEnumerable<LabelledConfiguration> configurations)
    {
        var counts = new Dictionary<string, int>(StringComparer.Ordinal)
        {
            [PropertyKeys.Energy] = 0,
            [PropertyKeys.Forces] = 0,
            [PropertyKeys.AtomicMultipoles] = 0,
            [PropertyKeys.TotalCharge] = 0,
            [PropertyKeys.FermiLevel] = 0,
            [PropertyKeys.ExternalField] = 0,
            [PropertyKeys.Dipole] = 0,
            [PropertyKeys.ElectrostaticPotentials] = 0,
            [PropertyKeys.Polarizability] = 0,
            [PropertyKeys.BornCharges] = 0,
        };
        foreach (var c in configurations)
        {
            Add(counts, PropertyKeys.Energy, c.Energy.IsPresent);
            Add(counts, PropertyKeys.Forces, c.Forces.IsPresent);
            Add(counts, PropertyKeys.AtomicMultipoles, c.AtomicMultipoles.IsPresent);
            Add(counts, PropertyKeys.TotalCharge, c.TotalCharge.IsPresent);
            Add(counts, PropertyKeys.FermiLevel, c.FermiLevel.IsPresent);
            Add(counts, PropertyKeys.ExternalField, c.ExternalField.IsPresent);
            Add(counts, PropertyKeys.Dipole, c.Dipole.IsPresent);
            Add(counts, PropertyKeys.ElectrostaticPotentials, c.ElectrostaticPotentials.IsPresent);
            Add(counts, PropertyKeys.Polarizability, c.Polarizability.IsPresent);
            Add(counts, PropertyKeys.BornCharges, c.BornCharges.IsPresent);
        }
        return counts;
    }

    private static void Add(Dictionary<string, int> counts, string property, bool present)
    {
        if (present) counts[property]++;
    }
}
