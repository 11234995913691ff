using System.Globalization;

namespace MaceScf.Data;

/// Typed access to one configuration's mapped info values and arrays, with shape checks whose
/// errors name the file, frame and key.
internal sealed class FrameValues(Configuration configuration, KeyMapping mapping)
{
    public string ConfigType() => configuration.Info.GetValueOrDefault(PropertyKeys.ConfigType) switch
    {
        null => PropertyKeys.DefaultConfigType,
        string s => s,
        long or double or bool => Convert.ToString(configuration.Info[PropertyKeys.ConfigType], CultureInfo.InvariantCulture)!,
        var other => throw Error(PropertyKeys.ConfigType, $"expected a name, found {Describe(other)}"),
    };

    /// An info value read under its own name (weights), or null when missing.
    public double? InfoNumber(string key) =>
        configuration.Info.TryGetValue(key, out var value) ? Number(key, value) : null;

    public double? MappedInfoNumber(string property) =>
        MappedInfo(property) is var (key, value) ? Number(key, value) : null;

    public double[]? MappedInfoVector3(string property) =>
        MappedInfo(property) is var (key, value) ? Vector3(key, value) : null;

    /// A 3×3 tensor (stress, virials) from 9 values (row-major or a 3×3 array) or 6 Voigt values (xx yy zz yz xz xy), as
    /// ASE writes them; with <paramref name="needsCell"/> (stress, virials) refused on a frame without a cell (it has no volume,
    /// and its strain derivative is not defined).
    public double[,]? MappedInfoTensor(string property, bool needsCell = true)
    {
        if (MappedInfo(property) is not var (key, value)) return null;
        double[] flat = value switch
        {
            double[] d => d,
            long[] l => l.Select(x => (double)x).ToArray(),
            double[,] { Length: 9 } m when m.GetLength(0) == 3 => m.Cast<double>().ToArray(),
            long[,] { Length: 9 } m when m.GetLength(0) == 3 => m.Cast<long>().Select(x => (double)x).ToArray(),
            _ => throw Error(key, $"{property} needs 9 values (3×3) or 6 Voigt values (xx yy zz yz xz xy), found {Describe(value)}"),
        };
        if (needsCell && configuration.Cell is null)
            throw Error(key, $"{property} is given, but the frame has no Lattice: a stress or virial needs a cell; remove the value or add the Lattice");
        return flat.Length switch
        {
            9 => new double[,] { { flat[0], flat[1], flat[2] }, { flat[3], flat[4], flat[5] }, { flat[6], flat[7], flat[8] } },
            6 => new double[,] { { flat[0], flat[5], flat[4] }, { flat[5], flat[1], flat[3] }, { flat[4], flat[3], flat[2] } },
            _ => throw Error(key, $"{property} needs 9 values (3×3) or 6 Voigt values (xx yy zz yz xz xy), found {flat.Length}"),
        };
    }

    /// Per-atom values [N, width]. With <paramref name="allowWider"/> extra columns are dropped; a
    /// one-dimensional array counts as a single column.
    public double[,]? MappedArray(string property, int width, bool allowWider)
    {
        if (!mapping.ArraysKeys.TryGetValue(property, out var key) || key == PropertyKeys.NoKey) return null;
        if (!configuration.Arrays.TryGetValue(key, out var array))
        {
            if (configuration.Info.ContainsKey(key))
                throw Error(key, $"{property} must be a per-atom column (Properties), but '{key}' is an info value in this frame");
            return null;
        }
        if (array.GetLength(0) != configuration.AtomCount)
            throw Error(key, $"{property} has {array.GetLength(0)} rows for {configuration.AtomCount} atoms");
        int found = array.Rank == 1 ? 1 : array.GetLength(1);
        if (found < width || (found > width && !allowWider))
        {
            string need = allowWider ? $"at least {width}" : $"{width}";
            string hint = property == PropertyKeys.AtomicMultipoles ? $" ((L+1)² for L = {(int)Math.Sqrt(width) - 1})" : "";
            throw Error(key, $"{property} needs {need} column(s){hint}, found {found}");
        }
        var values = new double[configuration.AtomCount, width];
        for (int i = 0; i < configuration.AtomCount; i++)
            for (int j = 0; j < width; j++)
                values[i, j] = array switch
                {
                    double[] d => d[i],
                    double[,] d => d[i, j],
                    long[] l => l[i],
                    long[,] l => l[i, j],
                    _ => throw Error(key, $"{property} must hold numbers, found {array.GetType().GetElementType()!.Name} values"),
                };
        return values;
    }

    /// A present value gets the weight config_{property}_weight (default 1); an absent one weight 0.
    public Label<T> Weighted<T>(string property, T? value) where T : class =>
        value is null ? Label<T>.Absent : new Label<T>(value, InfoNumber(PropertyKeys.WeightKey(property)) ?? 1.0);

    public Label<double> Weighted(string property, double? value) =>
        value is { } v ? new Label<double>(v, InfoNumber(PropertyKeys.WeightKey(property)) ?? 1.0) : Label<double>.Absent;

    /// config_dipole_weight, or without it the mask of <see cref="DipoleMask"/> from the frame's pbc and cell.
    public double[] DipoleWeights() => configuration.Info.TryGetValue(PropertyKeys.DipoleWeight, out var value)
        ? Vector3(PropertyKeys.DipoleWeight, value)
        : DipoleMask.Default(configuration);

    private (string Key, object Value)? MappedInfo(string property)
    {
        if (!mapping.InfoKeys.TryGetValue(property, out var key) || key == PropertyKeys.NoKey) return null;
        if (configuration.Info.TryGetValue(key, out var value)) return (key, value);
        if (configuration.Arrays.ContainsKey(key))
            throw Error(key, $"{property} must be an info value, but '{key}' is a per-atom column in this frame");
        return null;
    }

    private double Number(string key, object value) => value switch
    {
        double d => d,
        long l => l,
        _ => throw Error(key, $"expected a number, found {Describe(value)}"),
    };

    private double[] Vector3(string key, object value) => value switch
    {
        double[] { Length: 3 } d => (double[])d.Clone(),
        long[] { Length: 3 } l => l.Select(x => (double)x).ToArray(),
        _ => throw Error(key, $"expected a vector of 3 numbers, found {Describe(value)}"),
    };

    private static string Describe(object value) => value switch
    {
        string s => $"the text '{s}'",
        bool b => $"the logical {(b ? "T" : "F")}",
        double or long => $"the number {Convert.ToString(value, CultureInfo.InvariantCulture)}",
        Array a => $"{a.GetType().GetElementType()!.Name} values of shape [{string.Join(", ", Enumerable.Range(0, a.Rank).Select(a.GetLength))}]",
        _ => $"a {value.GetType().Name}",
    };

    private KeyMappingException Error(string key, string problem) => new(configuration, key, problem);
}
