using System.Text;

namespace MaceScf.Data;

/// <summary>
/// Writes extended XYZ that <see cref="ExtXyzReader"/> and ASE read back exactly: Lattice,
/// Properties, info values, pbc, then one line per atom (species, pos, then every array).
/// Doubles use shortest round-trip formatting in the invariant culture.
/// </summary>
public static class ExtXyzWriter
{
    private static readonly HashSet<string> ReservedInfoKeys = new(StringComparer.Ordinal) { "Lattice", "Properties", "pbc" };

    /// <summary>
    /// Writes all frames to <paramref name="path"/> through a temporary file in the same folder
    /// that replaces the target only once everything is written, so a crash leaves either the old
    /// file or the complete new one. A non-finite number in any frame stops the write (the old file
    /// is kept): no command writes NaN or infinity (docs/errors.md).
    /// </summary>
    public static void Write(string path, IEnumerable<Configuration> frames)
    {
        string fullPath = Path.GetFullPath(path);
        string temporary = Path.Combine(Path.GetDirectoryName(fullPath)!, $".{Path.GetFileName(fullPath)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            using (var writer = new StreamWriter(stream, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false)))
            {
                Write(writer, frames);
                writer.Flush();
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch (InvalidDataException e)
        {
            if (File.Exists(temporary)) File.Delete(temporary);
            throw new InvalidDataException($"'{path}': {e.Message}", e);
        }
        catch
        {
            if (File.Exists(temporary)) File.Delete(temporary);
            throw;
        }
    }

    /// <summary>Writes frames to a text writer.</summary>
    /// <exception cref="InvalidDataException">a frame holds a value that is not finite</exception>
    public static void Write(TextWriter writer, IEnumerable<Configuration> frames)
    {
        int index = 0;
        foreach (var frame in frames)
        {
            if (FrameChecks.FirstNonFinite(frame) is { } problem)
                throw new InvalidDataException($"nothing written: frame {index} of the output ({frame.DescribeOrigin()}) has {problem}, "
                    + "which is not finite (a computation failed)");
            WriteFrame(writer, frame);
            index++;
        }
    }

    /// <summary>Writes frames to a string (handy for tests and small snippets).</summary>
    public static string WriteToString(IEnumerable<Configuration> frames)
    {
        var writer = new StringWriter();
        Write(writer, frames);
        return writer.ToString();
    }

    /// <summary>Writes one frame to a text writer (values are not checked for finiteness).</summary>
    public static void WriteFrame(TextWriter writer, Configuration frame)
    {
        var arrays = CheckedArrays(frame);
        writer.Write(ExtXyzNumbers.FormatLong(frame.AtomCount));
        writer.Write('\n');
        writer.Write(CommentLine(frame, arrays));
        writer.Write('\n');
        var line = new StringBuilder(256);
        for (int atom = 0; atom < frame.AtomCount; atom++)
        {
            line.Clear();
            line.Append(PeriodicTable.Symbol(frame.AtomicNumbers[atom]));
            for (int k = 0; k < 3; k++) AppendDouble(line, frame.Positions[atom, k]);
            foreach (var (_, array) in arrays) AppendRow(line, array, atom);
            line.Append('\n');
            writer.Write(line);
        }
    }

    private static string CommentLine(Configuration frame, List<KeyValuePair<string, Array>> arrays)
    {
        var parts = new List<string>();
        if (frame.Cell is { } cell)
        {
            var numbers = new List<string>(9);
            for (int i = 0; i < 3; i++)
                for (int j = 0; j < 3; j++) numbers.Add(ExtXyzNumbers.FormatDoubleKeepingType(cell[i, j]));
            parts.Add($"Lattice=\"{string.Join(" ", numbers)}\"");
        }
        var columns = new List<PropertyColumn>
        {
            new("species", ColumnType.String, 1),
            new("pos", ColumnType.Real, 3),
        };
        columns.AddRange(arrays.Select(a => ColumnOf(a.Key, a.Value)));
        parts.Add($"Properties={PropertyColumns.Format(columns)}");
        foreach (var (key, value) in frame.Info)
        {
            if (ReservedInfoKeys.Contains(key))
                throw new ArgumentException($"{frame.DescribeOrigin()}: info key '{key}' is reserved; set the cell or pbc on the configuration instead");
            parts.Add($"{InfoValueFormatter.FormatKey(key)}={InfoValueFormatter.FormatValue(key, value)}");
        }
        parts.Add($"pbc=\"{string.Join(" ", frame.Pbc.Select(ExtXyzNumbers.FormatBool))}\"");
        return string.Join(" ", parts);
    }

    /// Arrays that can be written as columns: [N] or [N, k] of double, long, int, bool or
    /// strings without whitespace, under a name that is not species or pos.
    private static List<KeyValuePair<string, Array>> CheckedArrays(Configuration frame)
    {
        foreach (var (name, array) in frame.Arrays)
        {
            string where = $"{frame.DescribeOrigin()}: array '{name}'";
            if (name is "species" or "pos")
                throw new ArgumentException($"{where} would duplicate a column written from AtomicNumbers/Positions");
            if (name.Length == 0 || name.Contains(':') || name.Any(char.IsWhiteSpace))
                throw new ArgumentException($"{where}: names must be non-empty without ':' or whitespace");
            if (array.Rank > 2 || array.GetLength(0) != frame.AtomCount || (array.Rank == 2 && array.GetLength(1) < 1))
                throw new ArgumentException($"{where} must be [{frame.AtomCount}] or [{frame.AtomCount}, k]");
            var type = array.GetType().GetElementType();
            if (type != typeof(double) && type != typeof(long) && type != typeof(int) && type != typeof(bool) && type != typeof(string))
                throw new ArgumentException($"{where} has element type {type?.Name}; expected double, long, int, bool or string");
            if (type == typeof(string) && array.Cast<string?>().Any(s => string.IsNullOrEmpty(s) || s.Any(char.IsWhiteSpace)))
                throw new ArgumentException($"{where} holds an empty string or one with whitespace, which a column cannot represent");
        }
        return frame.Arrays.ToList();
    }

    private static PropertyColumn ColumnOf(string name, Array array)
    {
        var element = array.GetType().GetElementType();
        var type = element == typeof(double) ? ColumnType.Real
            : element == typeof(bool) ? ColumnType.Logical
            : element == typeof(string) ? ColumnType.String
            : ColumnType.Integer;
        return new PropertyColumn(name, type, array.Rank == 1 ? 1 : array.GetLength(1));
    }

    private static void AppendRow(StringBuilder line, Array array, int atom)
    {
        switch (array)
        {
            case double[] d: AppendDouble(line, d[atom]); break;
            case double[,] d:
                for (int k = 0; k < d.GetLength(1); k++) AppendDouble(line, d[atom, k]);
                break;
            default:
                if (array.Rank == 1) AppendOther(line, array.GetValue(atom)!);
                else
                    for (int k = 0; k < array.GetLength(1); k++) AppendOther(line, array.GetValue(atom, k)!);
                break;
        }
    }

    private static void AppendDouble(StringBuilder line, double value)
    {
        Span<char> buffer = stackalloc char[32];
        ExtXyzNumbers.TryFormatDouble(value, buffer, out int written);
        line.Append(' ').Append(buffer[..written]);
    }

    private static void AppendOther(StringBuilder line, object value)
    {
        line.Append(' ');
        switch (value)
        {
            case bool b: line.Append(ExtXyzNumbers.FormatBool(b)); break;
            case long l: line.Append(ExtXyzNumbers.FormatLong(l)); break;
            case int i: line.Append(ExtXyzNumbers.FormatLong(i)); break;
            default: line.Append((string)value); break;
        }
    }
}
