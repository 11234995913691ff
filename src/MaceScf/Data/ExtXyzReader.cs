using System.Text;

namespace MaceScf.Data;

/// <summary>
/// Reads extended XYZ (ASE conventions) frame by frame. Frames are produced lazily, so a file
/// of any size is read with memory for one frame at a time. Every problem raises an
/// <see cref="ExtXyzFormatException"/>; nothing is skipped silently.
/// </summary>
public static class ExtXyzReader
{
    private const int BufferSize = 1 << 16;

    /// <summary>
    /// Streams the frames of a file. The file is opened when enumeration starts and closed when
    /// it ends (or the enumerator is disposed).
    /// </summary>
    public static IEnumerable<Configuration> Read(string path)
    {
        using var reader = new StreamReader(path, Encoding.UTF8, detectEncodingFromByteOrderMarks: true, BufferSize);
        foreach (var configuration in Read(reader, path)) yield return configuration;
    }

    /// <summary>
    /// Streams the frames of already opened text; <paramref name="sourceName"/> names it in errors.
    /// </summary>
    public static IEnumerable<Configuration> Read(TextReader reader, string sourceName)
    {
        var frames = new FrameReader(reader, sourceName);
        while (frames.ReadFrame() is { } configuration) yield return configuration;
    }

    /// <summary>Reads every frame of a file into memory.</summary>
    public static List<Configuration> ReadAll(string path) => Read(path).ToList();

    /// <summary>Parses frames from a string (handy for tests and small snippets).</summary>
    public static List<Configuration> ReadAllFromString(string text, string sourceName = "<string>") =>
        Read(new StringReader(text), sourceName).ToList();

    /// The reading state of one source: current line number and frame index.
    private sealed class FrameReader(TextReader reader, string sourceName)
    {
        private long _line;
        private int _frame;

        public Configuration? ReadFrame()
        {
            string? countLine = NextLine();
            if (countLine is null || string.IsNullOrWhiteSpace(countLine))
            {
                long end = countLine is null ? _line + 1 : _line;
                if (countLine is not null) ExpectOnlyBlankLines();
                if (_frame == 0)
                    throw Error(end, "the file is empty (expected an atom count on the first line)");
                return null;
            }
            long countLineNumber = _line;
            int atomCount = ParseAtomCount(countLine);

            string comment = NextLine()
                ?? throw Error(_line, $"the file ends after the atom count {atomCount} (expected a comment line and {atomCount} atom lines)");
            FrameHeader header;
            try
            {
                header = FrameHeader.Parse(comment);
            }
            catch (ExtXyzSyntaxError e)
            {
                throw Error(_line, e.Message);
            }

            var stores = header.Columns.Select(c => c.Name == "species"
                ? new SpeciesStore(c, atomCount)
                : ColumnStore.Create(c, atomCount)).ToArray();
            int totalColumns = header.Columns.Sum(c => c.Width);
            for (int atom = 0; atom < atomCount; atom++)
            {
                string line = NextLine()
                    ?? throw Error(_line, $"the file ends after {atom} of {atomCount} atom lines (truncated frame)");
                ParseAtomLine(line, atom, stores, totalColumns);
            }

            var configuration = Build(header, stores, countLineNumber);
            _frame++;
            return configuration;
        }

        private string? NextLine()
        {
            string? line = reader.ReadLine();
            if (line is not null) _line++;
            return line;
        }

        /// A blank line ends the file; anything but blank lines after it is an error.
        private void ExpectOnlyBlankLines()
        {
            long blank = _line;
            while (NextLine() is { } line)
            {
                if (!string.IsNullOrWhiteSpace(line))
                    throw Error(_line, $"text after the blank line {blank} (expected the next frame's atom count right after the previous frame, or only blank lines to the end)");
            }
        }

        private int ParseAtomCount(string line)
        {
            var text = line.AsSpan().Trim();
            if (int.TryParse(text, out int count) && count >= 0) return count;
            string hint = _frame > 0
                ? "; the previous frame may have more atom lines than its atom count says"
                : "";
            throw Error(_line, $"expected the atom count (a non-negative integer) at the start of a frame, found '{Shorten(line)}'{hint}");
        }

        private void ParseAtomLine(string line, int atom, ColumnStore[] stores, int totalColumns)
        {
            var span = line.AsSpan();
            int pos = 0;
            int found = 0;
            foreach (var store in stores)
            {
                for (int component = 0; component < store.Column.Width; component++)
                {
                    while (pos < span.Length && char.IsWhiteSpace(span[pos])) pos++;
                    int start = pos;
                    while (pos < span.Length && !char.IsWhiteSpace(span[pos])) pos++;
                    if (pos == start) throw WrongColumnCount(totalColumns, found, stores);
                    found++;
                    var token = span[start..pos];
                    if (!store.TryStore(token, atom, component))
                        throw Error(_line, $"column {found} ({store.Column.Name}{ComponentSuffix(store.Column, component)}) is '{token}', expected {store.ExpectedText}");
                }
            }
            int extra = CountTokens(span[pos..]);
            if (extra > 0) throw WrongColumnCount(totalColumns, found + extra, stores);
        }

        private ExtXyzFormatException WrongColumnCount(int expected, int found, ColumnStore[] stores)
        {
            string layout = string.Join(" ", stores.Select(s => s.Column.ToString()));
            return Error(_line, $"expected {expected} columns ({layout}), found {found}");
        }

        private static string ComponentSuffix(PropertyColumn column, int component) =>
            column.Width == 1 ? "" : $"[{component}]";

        private static int CountTokens(ReadOnlySpan<char> text)
        {
            int count = 0;
            bool inToken = false;
            foreach (char c in text)
            {
                bool space = char.IsWhiteSpace(c);
                if (!space && !inToken) count++;
                inToken = !space;
            }
            return count;
        }

        private Configuration Build(FrameHeader header, ColumnStore[] stores, long countLine)
        {
            var species = stores.OfType<SpeciesStore>().FirstOrDefault();
            int[] atomicNumbers = species?.AtomicNumbers
                ?? AtomicNumbersFromZ(stores.First(s => s.Column.Name == "Z"), countLine);
            var positions = (double[,])stores.First(s => s.Column.Name == "pos").ToArray();
            var configuration = new Configuration(atomicNumbers, positions, header.Cell, header.Pbc)
            {
                SourceName = sourceName,
                FrameIndex = _frame,
                SourceLine = countLine,
            };
            foreach (var (key, value) in header.Info) configuration.Info.Add(key, value);
            foreach (var store in stores)
            {
                bool usedForElements = store == species || (species is null && store.Column.Name == "Z");
                if (usedForElements || store.Column.Name == "pos") continue;
                configuration.Arrays.Add(store.Column.Name, store.ToArray());
            }
            return configuration;
        }

        private int[] AtomicNumbersFromZ(ColumnStore z, long countLine)
        {
            var values = (long[])z.ToArray();
            var numbers = new int[values.Length];
            for (int i = 0; i < values.Length; i++)
            {
                if (values[i] < 0 || values[i] > PeriodicTable.MaxAtomicNumber)
                    throw Error(countLine + 2 + i, $"Z is {values[i]}, expected an atomic number 0-{PeriodicTable.MaxAtomicNumber}");
                numbers[i] = (int)values[i];
            }
            return numbers;
        }

        private ExtXyzFormatException Error(long line, string problem) => new(sourceName, _frame, line, problem);

        private static string Shorten(string text) => text.Length <= 60 ? text : text[..57] + "...";
    }
}
