using System.Globalization;

namespace MaceScf.Data;

/// Checks a file's frames against the `heads` mapping before training (docs/extxyz.md, "Keys missing from the data"): a
/// mapped key that no frame has is an error naming the key, the file and the keys the file does have; a key in some frames
/// only, an input taken at its default (total_charge 0, external_field 0, fermi_level the model's offset) and a dipole
/// without config_dipole_weight are each said once per file, with the count of frames.
internal static class HeadsCoverage
{
    static readonly string[] Inputs = [PropertyKeys.TotalCharge, PropertyKeys.ExternalField, PropertyKeys.FermiLevel];

    /// The notes for <paramref name="file"/>; throws <see cref="InvalidDataException"/> for a mapped key absent from every frame.
    public static IReadOnlyList<string> Check(IReadOnlyList<Configuration> frames, KeyMapping mapping, string file)
    {
        var notes = new List<string>();
        int n = frames.Count;
        foreach (var (property, key, perAtom) in Mapped(mapping))
        {
            int present = frames.Count(f => perAtom ? f.Arrays.ContainsKey(key) : f.Info.ContainsKey(key));
            string section = perAtom ? "arrays_keys" : "info_keys";
            if (present == 0)
                throw new InvalidDataException($"'{file}': heads.{mapping.HeadName}.{section} maps {property} to '{key}', which none of its {n} "
                    + $"frame(s) has. {KeysOf(frames)}. Map {property} to one of them"
                    + (Inputs.Contains(property) ? $", or to none to take {Default(property)} in every frame." : ", or to none if the file has no such label."));
            if (present < n)
                notes.Add($"'{file}': {property} ('{key}') is in {present} of {n} frames; the other {n - present} "
                    + (Inputs.Contains(property) ? $"are taken at {Default(property)}" : "have no such label (weight 0)"));
        }
        foreach (var input in Inputs.Where(p => !mapping.InfoKeys.TryGetValue(p, out var key) || key == PropertyKeys.NoKey))
            notes.Add($"'{file}': {input} is not mapped: all {n} frames are taken at {Default(input)}");
        if (mapping.InfoKeys.GetValueOrDefault(PropertyKeys.Dipole) is { } dipole && dipole != PropertyKeys.NoKey)
        {
            var unmasked = frames.Where(f => f.Info.ContainsKey(dipole) && !f.Info.ContainsKey(PropertyKeys.DipoleWeight)).ToList();
            int periodic = unmasked.Count(f => f.Pbc.Any(p => p));
            if (unmasked.Count > 0)
                notes.Add($"'{file}': {unmasked.Count} frame(s) have a dipole but no {PropertyKeys.DipoleWeight}: the mask is 1 1 1 for the "
                    + $"{unmasked.Count - periodic} without a periodic direction; for the {periodic} periodic one(s) it is 1 only along the "
                    + "Cartesian axes that no periodic lattice vector has a component along (a slab periodic in x and y: 0 0 1; bulk: 0 0 0)");
        }
        return notes;
    }

    static IEnumerable<(string Property, string Key, bool PerAtom)> Mapped(KeyMapping mapping) =>
        mapping.InfoKeys.Where(kv => kv.Key != PropertyKeys.Head && kv.Value != PropertyKeys.NoKey).Select(kv => (kv.Key, kv.Value, false))
            .Concat(mapping.ArraysKeys.Where(kv => kv.Value != PropertyKeys.NoKey).Select(kv => (kv.Key, kv.Value, true)));

    static string Default(string input) => input switch
    {
        PropertyKeys.TotalCharge => "total_charge 0 (neutral)",
        PropertyKeys.ExternalField => "zero external_field",
        _ => "the model's fermi_level_offset as fermi_level",
    };

    static string KeysOf(IReadOnlyList<Configuration> frames)
    {
        static string List(IEnumerable<string> keys) =>
            keys.Distinct(StringComparer.Ordinal).ToList() is { Count: > 0 } k ? string.Join(", ", k) : "none";
        return string.Create(CultureInfo.InvariantCulture,
            $"Its info keys: {List(frames.SelectMany(f => f.Info.Keys))}; its arrays keys: {List(frames.SelectMany(f => f.Arrays.Keys))}");
    }
}
