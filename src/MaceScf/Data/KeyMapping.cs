using System.Collections;

namespace MaceScf.Data;

/// <summary>
/// The `heads` mapping of config.yaml: canonical property name → key in the file, for per-frame
/// info values (info_keys) and per-atom arrays (arrays_keys). As in the Python pipeline,
/// total_charge must be mapped, and energy and forces default to the key "none" (absent).
/// </summary>
public sealed class KeyMapping
{
    /// <summary>A mapping named <paramref name="headName"/>.</summary>
    /// <param name="headName">the head's name in config.yaml</param>
    /// <param name="infoKeys">canonical per-frame property → key in the file (or "none")</param>
    /// <param name="arraysKeys">canonical per-atom property → key in the file (or "none")</param>
    /// <exception cref="ArgumentException">an unknown property, a property of the wrong kind, or total_charge unmapped</exception>
    public KeyMapping(string headName, IReadOnlyDictionary<string, string> infoKeys, IReadOnlyDictionary<string, string> arraysKeys)
    {
        HeadName = headName;
        var info = Checked($"heads.{headName}.info_keys", infoKeys, PropertyKeys.InfoProperties, PropertyKeys.ArrayProperties, "arrays_keys");
        var arrays = Checked($"heads.{headName}.arrays_keys", arraysKeys, PropertyKeys.ArrayProperties, PropertyKeys.InfoProperties, "info_keys");
        if (!info.ContainsKey(PropertyKeys.TotalCharge))
            throw new ArgumentException(
                $"heads.{headName}.info_keys must map total_charge (use total_charge: none when every configuration is neutral)");
        info.TryAdd(PropertyKeys.Energy, PropertyKeys.NoKey);
        arrays.TryAdd(PropertyKeys.Forces, PropertyKeys.NoKey);
        InfoKeys = info;
        ArraysKeys = arrays;
    }

    /// <summary>Free name of the head; used only in messages.</summary>
    public string HeadName { get; }

    /// <summary>Canonical per-frame property → info key (after the defaults above).</summary>
    public IReadOnlyDictionary<string, string> InfoKeys { get; }

    /// <summary>Canonical per-atom property → arrays key (after the defaults above).</summary>
    public IReadOnlyDictionary<string, string> ArraysKeys { get; }

    /// <summary>
    /// Every property under its canonical name (energy → "energy", forces → "forces", ...), the
    /// layout our own writers use.
    /// </summary>
    public static KeyMapping Default { get; } = new(
        "Default",
        PropertyKeys.InfoProperties.Where(p => p != PropertyKeys.Head).ToDictionary(p => p),
        PropertyKeys.ArrayProperties.ToDictionary(p => p));

    /// <summary>
    /// Reads the `heads` section as YAML gives it: exactly one head holding info_keys and
    /// arrays_keys mappings (nested dictionaries with string values).
    /// </summary>
    public static KeyMapping FromHeads(IDictionary heads)
    {
        if (heads.Count != 1)
            throw new ArgumentException($"heads must hold exactly one head, found {heads.Count}");
        var entries = heads.GetEnumerator();
        entries.MoveNext();
        var entry = entries.Entry;
        string name = Convert.ToString(entry.Key, System.Globalization.CultureInfo.InvariantCulture) ?? "";
        if (entry.Value is not IDictionary head)
            throw new ArgumentException($"heads.{name} must be a mapping with info_keys and arrays_keys");
        foreach (DictionaryEntry part in head)
        {
            if (part.Key is not ("info_keys" or "arrays_keys"))
                throw new ArgumentException($"heads.{name} has '{part.Key}'; only info_keys and arrays_keys are allowed");
        }
        return new KeyMapping(name, StringMap(head, name, "info_keys"), StringMap(head, name, "arrays_keys"));
    }

    private static Dictionary<string, string> StringMap(IDictionary head, string name, string section)
    {
        if (!head.Contains(section) || head[section] is null) return [];
        if (head[section] is not IDictionary map)
            throw new ArgumentException($"heads.{name}.{section} must be a mapping of canonical name to file key");
        var result = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (DictionaryEntry e in map)
        {
            if (e.Key is not string property || e.Value is not string key)
                throw new ArgumentException($"heads.{name}.{section}: '{e.Key}: {e.Value}' must map a name to a file key (both text)");
            result[property] = key;
        }
        return result;
    }

    private static Dictionary<string, string> Checked(string where, IReadOnlyDictionary<string, string> map,
        IReadOnlyList<string> allowed, IReadOnlyList<string> otherSection, string otherName)
    {
        foreach (var (property, key) in map)
        {
            if (otherSection.Contains(property))
                throw new ArgumentException($"{where}: {property} is a {(otherName == "arrays_keys" ? "per-atom" : "per-frame")} property; list it under {otherName}");
            if (!allowed.Contains(property))
                throw new ArgumentException($"{where}: unknown or unsupported property '{property}' (supported: {string.Join(", ", allowed)})");
            if (string.IsNullOrWhiteSpace(key))
                throw new ArgumentException($"{where}: {property} maps to an empty key");
        }
        return new Dictionary<string, string>(map, StringComparer.Ordinal);
    }
}
