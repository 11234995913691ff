using System.Text;

namespace MaceScf.Data;

/// Splits an extended-XYZ comment line into key=value pairs the way ASE does: pairs are
/// separated by whitespace; spaces around '=' are allowed; a value (or key) may contain
/// segments quoted with "", '', {} or []; a backslash makes the next character literal;
/// further '=' signs belong to the value; a key without '=' has a null value.
internal static class CommentLineTokenizer
{
    public static List<KeyValuePair<string, string?>> Tokenize(string line)
    {
        var pairs = new List<KeyValuePair<string, string?>>();
        var text = new StringBuilder();
        int pos = 0;
        while (true)
        {
            pos = SkipWhitespace(line, pos);
            if (pos == line.Length) return pairs;
            if (line[pos] == '=') throw new ExtXyzSyntaxError($"comment line: '=' at column {pos + 1} has no key before it");
            pos = ReadWord(line, pos, text, stopAtEquals: true);
            string key = text.ToString();
            int afterKey = SkipWhitespace(line, pos);
            if (afterKey < line.Length && line[afterKey] == '=')
            {
                pos = SkipWhitespace(line, afterKey + 1);
                pos = ReadWord(line, pos, text, stopAtEquals: false);
                pairs.Add(new(key, text.ToString()));
            }
            else
            {
                pairs.Add(new(key, null));
            }
        }
    }

    private static int SkipWhitespace(string line, int pos)
    {
        while (pos < line.Length && char.IsWhiteSpace(line[pos])) pos++;
        return pos;
    }

    /// Reads one whitespace-delimited word with its quoted segments and escapes into
    /// <paramref name="text"/>; returns the position after it.
    private static int ReadWord(string line, int pos, StringBuilder text, bool stopAtEquals)
    {
        text.Clear();
        while (pos < line.Length)
        {
            char c = line[pos];
            if (char.IsWhiteSpace(c) || (stopAtEquals && c == '=')) break;
            if (c == '\\')
            {
                pos = AppendEscaped(line, pos, text);
                continue;
            }
            char close = ClosingDelimiter(c);
            if (close == '\0')
            {
                text.Append(c);
                pos++;
                continue;
            }
            int open = pos++;
            while (true)
            {
                if (pos == line.Length)
                    throw new ExtXyzSyntaxError($"comment line: the {c} opened at column {open + 1} is never closed (expected {close})");
                if (line[pos] == close) { pos++; break; }
                if (line[pos] == '\\') pos = AppendEscaped(line, pos, text);
                else text.Append(line[pos++]);
            }
        }
        return pos;
    }

    private static int AppendEscaped(string line, int backslash, StringBuilder text)
    {
        if (backslash + 1 == line.Length)
            throw new ExtXyzSyntaxError("comment line ends with a lone backslash (expected a character after it)");
        text.Append(line[backslash + 1]);
        return backslash + 2;
    }

    private static char ClosingDelimiter(char open) => open switch
    {
        '"' => '"',
        '\'' => '\'',
        '{' => '}',
        '[' => ']',
        _ => '\0',
    };
}
